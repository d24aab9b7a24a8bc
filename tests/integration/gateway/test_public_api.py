"""The public API for real: engine and gateway servers on loopback, a user with a token."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from pathlib import Path
from typing import Any

import httpx

from bridge import sse
from contract.models import CreateWorkflowRequest
from gateway.app import create_app
from gateway.settings import GatewaySettings
from tests.conftest import require_tool_or_skip
from tests.integration.gateway.stack import Stack, token

WORKFLOW = {
    "name": "Ping",
    "nodes": [
        {"id": "start", "name": "Start", "type": "TRIGGER", "subtype": "MANUAL", "position": {"x": 0, "y": 0}},
        {"id": "set", "name": "Set", "type": "TRANSFORM", "position": {"x": 1, "y": 0},
         "parameters": {"target": "double", "expression": "{{ $json.n * 2 }}"}},
    ],
    "connections": {"start": {"main": [{"node": "set", "type": "main"}]}},
}  # fmt: skip


async def test_users_authenticate_and_never_choose_their_id(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.url) as http:
        assert (await http.get("/api/app/workflows")).status_code == 401
        bad = await http.get("/api/app/workflows", headers={"authorization": "Bearer nope"})
        assert bad.status_code == 401 and bad.json()["error"]["code"] == "UNAUTHENTICATED"
        forged = await http.post(
            "/api/app/workflows", json={**WORKFLOW, "user_id": "bob"}, headers=token("alice")
        )
        assert forged.status_code == 400
        assert forged.json()["error"]["details"][0]["field"] == "user_id"
        created = await http.post("/api/app/workflows", json=WORKFLOW, headers=token("alice"))
        assert created.status_code == 201
        wid = created.json()["workflow"]["id"]
        # The engine stored it for alice: bob (an API key user) cannot see it.
        assert (
            await http.get(f"/api/app/workflows/{wid}", headers=token("alice"))
        ).status_code == 200
        theirs = await http.get(
            f"/api/app/workflows/{wid}", headers={"authorization": "Bearer key-for-bob"}
        )
        assert theirs.status_code == 404
        assert (await stack.engine.store.get_workflow("alice", wid)) is not None


async def test_same_public_answers_on_either_transport_and_the_cutover_report(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.url) as http:
        wid = (await http.post("/api/app/workflows", json=WORKFLOW, headers=token("alice"))).json()[
            "workflow"
        ]["id"]
        answers = {}
        for rule in ("grpc", "http"):
            await stack.set_flags(workflow_engine=rule)
            answers[rule] = (
                await http.get(f"/api/app/workflows/{wid}", headers=token("alice"))
            ).json()
            listed = await http.get(
                "/api/app/workflows", params={"limit": 5}, headers=token("alice")
            )
            assert listed.json()["total_count"] == 1
        assert answers["grpc"] == answers["http"]
        await stack.set_flags(workflow_engine="http+shadow")
        run = await http.post(
            f"/api/app/workflows/{wid}/execute",
            json={"trigger_data": {"n": 2}},
            headers=token("alice"),
        )
        assert run.status_code == 202
        execution_id = run.json()["execution_id"]
        for _ in range(200):
            got = await http.get(f"/api/app/executions/{execution_id}", headers=token("alice"))
            if got.json()["execution"]["status"] == "SUCCESS":
                break
            await asyncio.sleep(0.02)
        assert got.json()["execution"]["run_data"]["set"]["output"]["double"] == 4
        await stack.app.state.gateway.router.settle()
        assert (await http.get("/admin/cutover")).status_code == 401  # no admin token
        report = await http.get("/admin/cutover", headers={"authorization": "Bearer admin-1"})
        assert report.status_code == 200
        data = report.json()
        assert data["flags"]["services"] == {"workflow_engine": "http+shadow"}
        protocols = {(c["method"], c["protocol"]) for c in data["calls"]}
        assert {
            ("GetWorkflow", "grpc"),
            ("GetWorkflow", "http"),
            ("ExecuteWorkflow", "http"),
        } <= protocols
        assert data["shadow"]["matches"] >= 1 and data["shadow"]["mismatches"] == 0
        wrong_admin = await http.get("/admin/cutover", headers={"authorization": "Bearer x"})
        assert wrong_admin.status_code == 401
        unknown = await http.get("/api/app/nothing-here", headers=token("alice"))
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "NOT_FOUND"
        health = await http.get("/health")
        assert health.status_code == 200 and health.json()["status"] == "SERVING"
        metrics = (await http.get("/metrics")).text
        assert (
            'gateway_requests_total{code="OK",route="/api/app/workflows/{workflow_id}"}' in metrics
        )

    # The gateway's flag changes went to the shared store (here, a file), audited.
    audit = (stack.flags_path.parent / "flags.json.audit.jsonl").read_text().splitlines()
    assert len(audit) == 3


async def test_cutover_page_in_a_real_browser(stack: Stack, tmp_path: Path) -> None:
    browser = shutil.which("chromium")
    if browser is None:
        require_tool_or_skip("chromium (Debian package chromium)")
    assert browser is not None
    async with httpx.AsyncClient(base_url=stack.url) as http:
        wid = (await http.post("/api/app/workflows", json=WORKFLOW, headers=token("alice"))).json()[
            "workflow"
        ]["id"]
        await stack.set_flags(workflow_engine="http+shadow")
        for _ in range(3):
            await http.get(f"/api/app/workflows/{wid}", headers=token("alice"))
        await stack.app.state.gateway.router.settle()
        report = (
            await http.get("/admin/cutover", headers={"authorization": "Bearer admin-1"})
        ).json()
        challenge = await http.get("/admin/cutover", headers={"accept": "text/html"})
        assert challenge.status_code == 401 and challenge.headers["www-authenticate"].startswith(
            "Basic"
        )
    url = stack.url.replace("http://", "http://admin:admin-1@") + "/admin/cutover"
    process = await asyncio.create_subprocess_exec(
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    dom, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    page = dom.decode()
    assert "<h1>Cut-over</h1>" in page, page[:500]

    def cell(row_id: str, column: int) -> str:
        match = re.search(rf'<tr id="{re.escape(row_id)}">(.*?)</tr>', page)
        assert match is not None, f"row {row_id} missing"
        return str(re.findall(r"<td>(.*?)</td>", match.group(1))[column])

    expected = {(c["method"], c["protocol"]): c["count"] for c in report["calls"]}
    assert expected[("GetWorkflow", "http")] == 3
    for (method, protocol), count in expected.items():
        assert cell(f"calls-{method}-{protocol}", 2) == str(count)
    assert cell("rule-workflow_engine", 1) == "http+shadow"
    shown = re.search(r'id="shadow-matches">(\d+)<', page)
    assert shown is not None and int(shown.group(1)) == report["shadow"]["matches"] == 3


async def test_public_webhook_needs_no_user_token(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.url) as http:
        wid = (await http.post("/api/app/workflows", json=WORKFLOW, headers=token("alice"))).json()[
            "workflow"
        ]["id"]
        created = await http.post(
            "/api/app/triggers",
            json={"workflow_id": wid, "type": "WEBHOOK"},
            headers=token("alice"),
        )
        hook = created.json()["trigger"]["id"]
        fired = await http.post(
            f"/api/public/webhooks/{hook}",
            json={"n": 21},
            headers={"idempotency-key": "delivery-1"},
        )
        assert fired.status_code == 202
        again = await http.post(
            f"/api/public/webhooks/{hook}",
            json={"n": 21},
            headers={"idempotency-key": "delivery-1"},
        )
        assert again.json()["execution_id"] == fired.json()["execution_id"], (
            "a redelivered webhook runs once"
        )
        execution_id = fired.json()["execution_id"]
        for _ in range(200):
            got = (
                await http.get(f"/api/app/executions/{execution_id}", headers=token("alice"))
            ).json()
            if got["execution"]["status"] == "SUCCESS":
                break
            await asyncio.sleep(0.02)
        assert got["execution"]["run_data"]["set"]["output"]["double"] == 42
        assert (await http.post("/api/public/webhooks/tr_nope", json={})).status_code == 404
        not_json = await http.post(f"/api/public/webhooks/{hook}", content=b"[1, 2]")
        assert not_json.status_code == 400
        # FireWebhook is not an authenticated app route.
        assert (
            await http.post(f"/api/app/webhooks/{hook}", json={}, headers=token("alice"))
        ).status_code == 404


async def test_agent_routes_generate_validate_refine_then_the_engine_runs_it(stack: Stack) -> None:
    """The agent behind the gateway on each transport: the same answers, and what it
    generates is accepted and run by the engine through the same public API."""
    description = "Wait 1 second and then summarize the input with AI"
    answers = {}
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        for protocol in ("grpc", "http"):
            await stack.set_flags(workflow_agent=protocol)
            reply = await http.post("/api/app/agent/workflows/generate",
                                    json={"description": description}, headers=token("alice"))  # fmt: skip
            assert reply.status_code == 200, reply.text
            answers[protocol] = reply.json()
        assert answers["grpc"] == answers["http"]
        generated = answers["http"]
        assert generated["success"] is True and generated["missing_info"] == []
        workflow = generated["workflow"]
        assert [n["type"] for n in workflow["nodes"]] == ["TRIGGER", "WAIT", "AI"]
        checked = await http.post("/api/app/agent/workflows/validate",
                                  json={"workflow_data": workflow}, headers=token("alice"))  # fmt: skip
        assert checked.status_code == 200 and checked.json()["valid"] is True
        fields = set(CreateWorkflowRequest.model_fields) - {"user_id"}
        creatable = {k: v for k, v in workflow.items() if k in fields}
        created = await http.post("/api/app/workflows", json=creatable, headers=token("alice"))
        assert created.status_code == 201, created.text
        wid = created.json()["workflow"]["id"]
        refined = await http.post(
            f"/api/app/agent/workflows/{wid}/refine",
            json={
                "feedback": "rename it to Digest",
                "original_workflow": created.json()["workflow"],
            },
            headers=token("alice"),
        )
        assert refined.status_code == 200, refined.text
        assert refined.json()["changes"] == [
            f"Renamed the workflow from {workflow['name']!r} to 'Digest'"
        ]
        run = await http.post(f"/api/app/workflows/{wid}/execute", json={"trigger_data": {"n": 1}},
                              headers=token("alice"))  # fmt: skip
        assert run.status_code == 202
        execution_id = run.json()["execution_id"]
        for _ in range(200):
            got = (
                await http.get(f"/api/app/executions/{execution_id}", headers=token("alice"))
            ).json()
            if got["execution"]["status"] not in {"NEW", "RUNNING"}:
                break
            await asyncio.sleep(0.05)
        assert got["execution"]["status"] == "SUCCESS"
        # A user_id is never accepted from the caller, on agent routes either.
        forged = await http.post("/api/app/agent/workflows/generate",
                                 json={"description": description, "user_id": "bob"}, headers=token("alice"))  # fmt: skip
        assert (
            forged.status_code == 400 and forged.json()["error"]["details"][0]["field"] == "user_id"
        )
        blank = await http.post("/api/app/agent/workflows/generate", json={"description": "  "},
                                headers=token("alice"))  # fmt: skip
        assert (
            blank.status_code == 400
            and blank.json()["error"]["details"][0]["field"] == "description"
        )


async def test_health_is_degraded_when_one_backend_is_down(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.url) as http:
        assert (await http.get("/health")).json()["status"] == "SERVING"
        await stack.agent.server.stop(grace=0)
        health = await http.get("/health")
        assert health.status_code == 200
        body = health.json()
        assert body["status"] == "DEGRADED"
        assert body["checks"]["workflow_engine (grpc)"] == "SERVING"
        assert body["checks"]["workflow_agent (grpc)"].startswith("unreachable")


async def test_conversation_streams_through_the_gateway_on_either_transport(stack: Stack) -> None:
    """The agent's server stream re-served as SSE: the same events whichever protocol the
    gateway used, the user from the token, and a bad turn as an ordinary 400."""
    turns = {}
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        for protocol in ("grpc", "http"):
            await stack.set_flags(workflow_agent=protocol)
            events: list[tuple[str, dict[str, Any]]] = []
            async with http.stream(
                "POST", "/api/app/agent/conversations/s1/turns",
                json={"user_message": "Wait 2 seconds then summarize it with AI"},
                headers=token("alice"),
            ) as reply:  # fmt: skip
                assert reply.status_code == 200
                assert reply.headers["content-type"].startswith("text/event-stream")
                parser = sse.EventParser()
                async for chunk in reply.aiter_bytes():
                    events.extend((e.event, json.loads(e.data)) for e in parser.feed(chunk))
            turns[protocol] = events
        assert turns["grpc"] == turns["http"]
        names = [name for name, _ in turns["http"]]
        assert names[0] == "status" and names[-2:] == ["state", "end"]
        assert "workflow" in names
        bad = await http.post("/api/app/agent/conversations/s1/turns",
                              json={"user_message": "hi", "user_id": "bob"}, headers=token("alice"))  # fmt: skip
        assert bad.status_code == 400 and bad.json()["error"]["details"][0]["field"] == "user_id"


def test_openapi_documents_every_public_route_with_its_body_and_never_user_id() -> None:
    spec = create_app(GatewaySettings()).openapi()
    schemas = spec["components"]["schemas"]
    create = spec["paths"]["/api/app/workflows"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {"name", "nodes", "connections"} <= set(schemas[body]["properties"])
    assert "user_id" not in schemas[body]["properties"]
    get = spec["paths"]["/api/app/workflows/{workflow_id}"]["get"]
    assert [p["name"] for p in get["parameters"]] == ["workflow_id"]
    generate = spec["paths"]["/api/app/agent/workflows/generate"]["post"]
    ref = generate["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert "description" in schemas[ref.rsplit("/", 1)[1]]["properties"]
    turns = spec["paths"]["/api/app/agent/conversations/{session_id}/turns"]["post"]
    assert "text/event-stream" in turns["responses"]["200"]["content"]
    assert "ErrorEnvelope" in schemas
