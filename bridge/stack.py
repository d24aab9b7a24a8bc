"""What ``bridgectl up`` starts: one process per service, ports from the platform's table.

The platform registers its port table under the ``bridge.platform`` entry point (a module
with ``PORTS`` and ``peer_env(host)``), so bridge knows no service by name. Each process
gets HOST, PORT and GRPC_PORT, plus the peers' addresses from ``peer_env``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any


@dataclass
class StackPlan:
    commands: dict[str, list[str]] = field(default_factory=dict)
    env: dict[str, dict[str, str]] = field(default_factory=dict)
    health_urls: dict[str, str] = field(default_factory=dict)
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)


def platform() -> ModuleType:
    found = list(entry_points(group="bridge.platform"))
    if not found:
        raise LookupError("no 'bridge.platform' entry point: where are the ports declared?")
    module: ModuleType = found[0].load()
    return module


def plan_stack(names: list[str], host: str = "127.0.0.1") -> StackPlan:
    declared = platform()
    ports: dict[str, Any] = declared.PORTS
    unknown = [name for name in names if name not in ports]
    if unknown:
        raise ValueError(f"no ports declared for {unknown}")
    peers: dict[str, str] = declared.peer_env(host)
    plan = StackPlan()
    for name in names:
        entry = ports[name]
        env = {**peers, "HOST": host, "PORT": str(entry.http)}
        if entry.grpc is not None:
            env["GRPC_PORT"] = str(entry.grpc)
        plan.commands[name] = [sys.executable, "-m", "bridge.cli", "serve", name]
        plan.env[name] = env
        plan.health_urls[name] = f"http://{host}:{entry.http}/health"
        grpc = f"{host}:{entry.grpc}" if entry.grpc is not None else "-"
        plan.rows.append(
            (entry.service, f"http://{host}:{entry.http}", grpc, f"http://{host}:{entry.http}/docs")
        )
    return plan
