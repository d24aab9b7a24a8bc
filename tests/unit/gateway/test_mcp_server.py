"""gateway.mcp without a network: the server it builds and what it leaves alone."""

from __future__ import annotations

import logging

from gateway.clients import AgentClient, WorkflowClient
from gateway.mcp import McpApi, Services, build_server
from gateway.settings import GatewaySettings


class _NoTransport:
    """Never called: building the server must not touch the services."""

    async def call(self, *_: object) -> object:
        raise AssertionError("no call expected")


def services() -> Services:
    transport = _NoTransport()
    return Services(
        workflows=WorkflowClient(transport),
        agent=AgentClient(transport),
        timeout=1.0,
    )


async def test_building_the_server_leaves_the_root_logger_alone() -> None:
    """The SDK's constructor calls logging.basicConfig, which acts only on a root logger
    without handlers (the state of a process before bridgectl configures logging)."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    root.handlers[:] = []
    root.setLevel(logging.WARNING)
    try:
        server = build_server(services())
        assert (root.handlers, root.level) == ([], logging.WARNING)
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    assert {tool.name for tool in await server.list_tools()} == {
        "generate_workflow", "validate_workflow", "create_workflow",
        "list_workflows", "execute_workflow", "get_execution",
    }  # fmt: skip


def test_dns_rebinding_guard_only_on_a_loopback_listener() -> None:
    loopback = McpApi(GatewaySettings(host="127.0.0.1")).transport_security()
    assert loopback.enable_dns_rebinding_protection
    assert "localhost:*" in loopback.allowed_hosts
    public = McpApi(GatewaySettings(host="0.0.0.0")).transport_security()
    assert not public.enable_dns_rebinding_protection
