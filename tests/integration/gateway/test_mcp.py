"""The gateway's MCP API through the SDK's own client, against the real stack on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import httpx2
import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult, TextContent

from tests.integration.gateway.stack import Stack, token

BOB = {"authorization": "Bearer key-for-bob"}
TOOLS = {
    "generate_workflow",
    "validate_workflow",
    "create_workflow",
    "list_workflows",
    "execute_workflow",
    "get_execution",
}
DESCRIPTION = "Wait 1 second and then summarize the input with AI"
PING: dict[str, Any] = {
    "name": "Ping",
    "nodes": [
        {"id": "start", "name": "Start", "type": "TRIGGER", "subtype": "MANUAL", "position": {"x": 0, "y": 0}},
        {"id": "set", "name": "Set", "type": "TRANSFORM", "position": {"x": 1, "y": 0},
         "parameters": {"target": "double", "expression": "{{ $json.n * 2 }}"}},
    ],
    "connections": {"start": {"main": [{"node": "set", "type": "main"}]}},
}  # fmt: skip
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "0"},
    },
}
MCP_HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


@contextlib.asynccontextmanager
async def mcp_session(stack: Stack, headers: dict[str, str]) -> AsyncIterator[ClientSession]:
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        streamable_http_client(f"{stack.url}/api/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def ok(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    content: dict[str, Any] | None = result.structured_content
    assert content is not None
    return content


def tool_error(result: CallToolResult) -> dict[str, Any]:
    assert result.is_error, result
    text = result.content[0]
    assert isinstance(text, TextContent)
    error: dict[str, Any] = json.loads(text.text)["error"]
    return error


async def test_tools_are_listed_with_their_input_and_output_schemas(stack: Stack) -> None:
    async with mcp_session(stack, token("alice")) as mcp:
        listed = {tool.name: tool for tool in (await mcp.list_tools()).tools}
    assert set(listed) == TOOLS
    schema = {name: tool.input_schema for name, tool in listed.items()}
    assert schema["generate_workflow"]["required"] == ["description"]
    assert set(schema["generate_workflow"]["properties"]) == {"description", "context"}
    assert schema["create_workflow"]["required"] == ["workflow"]
    assert schema["execute_workflow"]["required"] == ["workflow_id"]
    assert set(schema["execute_workflow"]["properties"]) == {"workflow_id", "trigger_data"}
    assert schema["get_execution"]["required"] == ["execution_id"]
    limit = schema["list_workflows"]["properties"]["limit"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 500, 50)
    assert "required" not in schema["list_workflows"]
    # The caller never names the user: no tool takes a user_id.
    assert all("user_id" not in s["properties"] for s in schema.values())
    # The workflow argument is typed (the contract's Workflow), not free-form.
    workflow = json.dumps(schema["create_workflow"])
    assert '"nodes"' in workflow and '"connections"' in workflow
    # Results are the contract's models, as structured output.
    outputs = {name: tool.output_schema for name, tool in listed.items()}
    assert outputs["get_execution"] is not None
    assert set(outputs["get_execution"]["properties"]) == {"execution"}
    assert outputs["execute_workflow"] is not None
    assert {"execution_id", "status"} <= set(outputs["execute_workflow"]["properties"])
    assert listed["list_workflows"].annotations is not None
    assert listed["list_workflows"].annotations.read_only_hint is True
    assert all(tool.description and "\n    " not in tool.description for tool in listed.values())


@pytest.mark.parametrize("protocol", ["grpc", "http"])
async def test_generate_create_execute_and_read_the_execution(stack: Stack, protocol: str) -> None:
    """The tools go through the gateway's router: the TRANSPORT flag picks the protocol."""
    await stack.set_flags(workflow_engine=protocol, workflow_agent=protocol)
    async with mcp_session(stack, token("alice")) as mcp:
        generated = ok(await mcp.call_tool("generate_workflow", {"description": DESCRIPTION}))
        assert generated["success"] is True and generated["missing_info"] == []
        workflow = generated["workflow"]
        assert [n["type"] for n in workflow["nodes"]] == ["TRIGGER", "WAIT", "AI"]
        checked = ok(await mcp.call_tool("validate_workflow", {"workflow": workflow}))
        assert checked["valid"] is True, checked
        # The workflow exactly as generate returned it.
        created = ok(await mcp.call_tool("create_workflow", {"workflow": workflow}))
        assert created["success"] is True
        wid = created["workflow"]["id"]
        assert created["workflow"]["name"] == workflow["name"]
        listed = ok(await mcp.call_tool("list_workflows", {}))
        assert listed["total_count"] == 1 and listed["workflows"][0]["id"] == wid
        started = ok(
            await mcp.call_tool("execute_workflow", {"workflow_id": wid, "trigger_data": {"n": 1}})
        )
        execution_id = started["execution_id"]
        for _ in range(200):
            execution = ok(await mcp.call_tool("get_execution", {"execution_id": execution_id}))[
                "execution"
            ]
            if execution["status"] not in {"NEW", "RUNNING"}:
                break
            await asyncio.sleep(0.05)
        assert execution["status"] == "SUCCESS", execution
        assert execution["workflow_id"] == wid
        assert execution["trigger_data"] == {"n": 1}
        assert set(execution["run_data"]) == {n["id"] for n in workflow["nodes"]}
    # Stored for the user of the token, and the same record the public API serves.
    assert (await stack.engine.store.get_workflow("alice", wid)) is not None
    async with httpx.AsyncClient(base_url=stack.url) as http:
        public = await http.get(f"/api/app/executions/{execution_id}", headers=token("alice"))
    assert public.json()["execution"] == execution
    metrics = await _metrics(stack)
    assert 'gateway_requests_total{code="OK",route="mcp:create_workflow"} 1.0' in metrics
    calls = stack.app.state.gateway.router.stats.calls
    for method in ("GenerateWorkflow", "ValidateWorkflow", "CreateWorkflow", "ExecuteWorkflow"):
        assert calls[(method, protocol)] == 1, calls
    assert not any(p != protocol for _, p in calls), calls


async def test_a_request_without_a_valid_token_is_refused_before_any_tool_runs(
    stack: Stack,
) -> None:
    create = {
        "jsonrpc": "2.0",
        "id": 2,
        "method": "tools/call",
        "params": {"name": "create_workflow", "arguments": {"workflow": PING}},
    }
    async with httpx.AsyncClient(base_url=stack.url) as http:
        for headers in ({}, {"authorization": "Bearer nope"}, {"authorization": "Basic eDp5"}):
            for body in (INITIALIZE, create):
                refused = await http.post("/api/mcp", json=body, headers={**MCP_HEADERS, **headers})
                assert refused.status_code == 401, refused.text
                assert refused.json()["error"]["code"] == "UNAUTHENTICATED"
                assert refused.headers["www-authenticate"].startswith("Bearer")
        # With a token the same raw request is served (the refusal was the token's).
        served = await http.post("/api/mcp", json=INITIALIZE, headers={**MCP_HEADERS, **BOB})
        assert served.status_code == 200 and served.json()["result"]["serverInfo"]["name"] == (
            "flowbridge"
        )
        # Stateless: POST only (no SSE stream parked on GET, no session to DELETE).
        for method in ("GET", "DELETE"):
            other = await http.request(method, "/api/mcp", headers={**MCP_HEADERS, **BOB})
            assert other.status_code == 405 and other.headers["allow"] == "POST"
    # No tool ran: nothing was stored for anyone.
    assert await stored(stack, "alice") == []
    # The SDK's client fails to connect without a token.
    with pytest.raises(BaseException) as refused_client:  # noqa: PT011 (an ExceptionGroup)
        async with mcp_session(stack, {}):
            pass
    assert "Server returned an error response" in repr(refused_client.value)
    metrics = await _metrics(stack)
    assert "mcp:create_workflow" not in metrics


async def test_a_loopback_gateway_keeps_the_sdks_dns_rebinding_guard(stack: Stack) -> None:
    """A page on another site that resolves its name to 127.0.0.1 cannot drive the MCP
    API of a gateway on loopback, even with a token: Host and Origin must be loopback."""
    async with httpx.AsyncClient(base_url=stack.url) as http:
        rebound = await http.post(
            "/api/mcp", json=INITIALIZE, headers={**MCP_HEADERS, **BOB, "host": "evil.example:80"}
        )
        assert rebound.status_code == 421
        foreign = await http.post(
            "/api/mcp",
            json=INITIALIZE,
            headers={**MCP_HEADERS, **BOB, "origin": "https://evil.example"},
        )
        assert foreign.status_code == 403
        local = await http.post(
            "/api/mcp", json=INITIALIZE, headers={**MCP_HEADERS, **BOB, "origin": stack.url}
        )
        assert local.status_code == 200


async def test_one_users_workflows_are_not_visible_to_another(stack: Stack) -> None:
    async with mcp_session(stack, token("alice")) as alice:
        wid = ok(await alice.call_tool("create_workflow", {"workflow": PING}))["workflow"]["id"]
        run = ok(
            await alice.call_tool(
                "execute_workflow", {"workflow_id": wid, "trigger_data": {"n": 2}}
            )
        )
        assert ok(await alice.call_tool("list_workflows", {}))["total_count"] == 1
    async with mcp_session(stack, BOB) as bob:
        assert ok(await bob.call_tool("list_workflows", {})) == {
            "workflows": [],
            "total_count": 0,
            "has_more": False,
        }
        theirs = tool_error(await bob.call_tool("execute_workflow", {"workflow_id": wid}))
        assert theirs["code"] == "NOT_FOUND"
        hidden = tool_error(
            await bob.call_tool("get_execution", {"execution_id": run["execution_id"]})
        )
        assert hidden["code"] == "NOT_FOUND"
    # Same code and message as the public HTTP API gives bob for the same call.
    async with httpx.AsyncClient(base_url=stack.url) as http:
        public = await http.post(f"/api/app/workflows/{wid}/execute", json={}, headers=BOB)
    assert public.status_code == 404
    assert {k: public.json()["error"][k] for k in ("code", "message")} == {
        k: theirs[k] for k in ("code", "message")
    }
    assert await stored(stack, "bob") == []


async def test_a_bad_argument_is_a_tool_error_naming_the_field(stack: Stack) -> None:
    async with mcp_session(stack, token("alice")) as mcp:
        no_nodes = tool_error(
            await mcp.call_tool("create_workflow", {"workflow": {**PING, "nodes": []}})
        )
        assert no_nodes["code"] == "INVALID_ARGUMENT"
        assert [d["field"] for d in no_nodes["details"]] == ["workflow.nodes"]
        assert no_nodes["message"].startswith("invalid request: workflow.nodes:")
        bad_type = {**PING, "nodes": [PING["nodes"][0], {**PING["nodes"][1], "type": "TELEPORT"}]}
        # The node catalog is the engine's check: its error comes back unchanged, the same
        # body as the public HTTP API gives for the same workflow (paths in the workflow).
        wrong = tool_error(await mcp.call_tool("create_workflow", {"workflow": bad_type}))
        assert wrong["code"] == "INVALID_ARGUMENT"
        assert [d["field"] for d in wrong["details"]] == ["nodes[1].type"], wrong
        async with httpx.AsyncClient(base_url=stack.url) as http:
            public = await http.post("/api/app/workflows", json=bad_type, headers=token("alice"))
        assert public.status_code == 400 and public.json()["error"] == wrong
        too_many = tool_error(await mcp.call_tool("list_workflows", {"limit": 0}))
        assert [d["field"] for d in too_many["details"]] == ["limit"]
        missing = tool_error(await mcp.call_tool("get_execution", {}))
        assert [d["field"] for d in missing["details"]] == ["execution_id"]
        blank = tool_error(await mcp.call_tool("generate_workflow", {"description": "   "}))
        assert [d["field"] for d in blank["details"]] == ["description"]
        # The session is still usable after the errors: nothing crashed.
        assert ok(await mcp.call_tool("list_workflows", {}))["total_count"] == 0
    metrics = await _metrics(stack)
    assert 'gateway_requests_total{code="INVALID_ARGUMENT",route="mcp:create_workflow"} 2.0' in (
        metrics
    )


async def stored(stack: Stack, user: str) -> list[str]:
    """Ids of the workflows the engine holds for ``user``, read from its store."""
    workflows, _ = await stack.engine.store.list_workflows(
        user, active_only=False, tags=[], limit=100, offset=0
    )
    return [w.id or "" for w in workflows]


async def _metrics(stack: Stack) -> str:
    async with httpx.AsyncClient(base_url=stack.url) as http:
        return (await http.get("/metrics")).text
