"""The platform's ports: the one source of truth for local runs, compose, and the tests
that check docker-compose and Terraform against it (a port changed in one layer and not
the others broke the original migration)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ServicePorts:
    service: str
    """Name in docker-compose and ECS (also the DNS name inside compose)."""
    http: int
    """HTTP port on the host (``bridgectl up``) and published by compose."""
    grpc: int | None
    container_http: int = 8000
    """HTTP port inside the container (the original plan's ``PORT=8000``)."""


PORTS: dict[str, ServicePorts] = {
    "gateway": ServicePorts("gateway", http=8000, grpc=None),
    "agent": ServicePorts("workflow-agent", http=8001, grpc=50051),
    "engine": ServicePorts("workflow-engine", http=8002, grpc=50050),
}
"""By ``bridgectl`` name."""


def peer_env(host: str) -> dict[str, str]:
    """How each process finds the others: the DESIGN.md environment names, no version in
    base URLs (clients add ``/v1`` themselves)."""
    engine, agent = PORTS["engine"], PORTS["agent"]
    return {
        "WORKFLOW_ENGINE_URL": f"http://{host}:{engine.http}",
        "WORKFLOW_ENGINE_GRPC": f"{host}:{engine.grpc}",
        "WORKFLOW_AGENT_URL": f"http://{host}:{agent.http}",
        "WORKFLOW_AGENT_GRPC": f"{host}:{agent.grpc}",
    }
