"""The executor: every node type, joins, branches, concurrency, retries, errors, limits."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bench.fixtures import load_workflow
from contract import models as m
from services.catalog import CATALOG
from services.engine.executor import ExecutionResult, Executor
from services.engine.nodes import runner_for
from services.llm import OfflineProvider

S = m.NodeRunStatus


class Recorder:
    def __init__(self) -> None:
        self.started: list[str] = []
        self.runs: dict[str, m.NodeRun] = {}

    async def node_started(self, run: m.NodeRun) -> None:
        assert run.status is S.RUNNING
        self.started.append(run.node_id)

    async def node_finished(self, run: m.NodeRun) -> None:
        assert run.node_id not in self.runs, "a node finishes once"
        self.runs[run.node_id] = run

    def status(self, node_id: str) -> m.NodeRunStatus:
        return self.runs[node_id].status


# -- a real HTTP server on loopback for HTTP_REQUEST nodes -----------------------------------


class Upstream:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.url = ""

    async def echo(self, request: Request) -> Response:
        body = await request.body()
        self.calls.append((request.method, request.url.path, body.decode() or None))
        if request.url.path.startswith("/status/"):
            return PlainTextResponse("nope", status_code=int(request.url.path.rsplit("/", 1)[1]))
        if request.url.path == "/slow":
            await asyncio.sleep(2)
        if request.url.path == "/text":
            return PlainTextResponse("plain")
        return JSONResponse({"path": request.url.path, "method": request.method,
                             "header": request.headers.get("x-trace"), "body": body.decode() or None})  # fmt: skip


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    state = Upstream()
    app = Starlette(
        routes=[
            Route("/{path:path}", state.echo, methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
        ]
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    state.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="off"))
    server.capture_signals = lambda: __import__("contextlib").nullcontext()  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    yield state
    server.should_exit = True
    await task


@pytest.fixture
async def executor() -> AsyncIterator[Executor]:
    async with httpx.AsyncClient() as client:
        yield Executor(http=client, llm=OfflineProvider(), time_scale=0.01)


def node(id: str, type: str, on_error: str = "continue", retry: dict[str, int] | None = None,
         disabled: bool = False, **params: str) -> dict[str, Any]:  # fmt: skip
    return {"id": id, "name": id.upper(), "type": type, "position": {"x": 0, "y": 0},
            "parameters": params, "on_error": on_error, "retry_policy": retry,
            "disabled": disabled, "subtype": "MANUAL" if type == "TRIGGER" else None}  # fmt: skip


def flow(
    nodes: list[dict[str, Any]], edges: list[tuple[str, str, str]], timeout: int = 3600
) -> m.Workflow:
    connections: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for source, kind, target in edges:
        connections.setdefault(source, {}).setdefault(kind, []).append(
            {"node": target, "type": "main"}
        )
    return m.Workflow.model_validate({"name": "t", "nodes": nodes, "connections": connections,
                                      "settings": {"timeout": timeout}})  # fmt: skip


async def run(
    executor: Executor, workflow: m.Workflow, data: dict[str, Any] | None = None
) -> tuple[ExecutionResult, Recorder]:
    recorder = Recorder()
    result = await executor.execute(workflow, data or {}, recorder)
    return result, recorder


async def test_linear_chain_passes_outputs_on(executor: Executor) -> None:
    workflow = flow(
        [node("t", "TRIGGER"), node("a", "TRANSFORM", target="double", expression="{{ $json.total * 2 }}"),
         node("b", "SET", fields='{"label": "order {{ $json.id }}", "big": "{{ $json.double > 10 }}"}')],
        [("t", "main", "a"), ("a", "main", "b")],
    )  # fmt: skip
    result, rec = await run(executor, workflow, {"total": 7, "id": "o-1"})
    assert result == ExecutionResult(m.ExecutionStatus.SUCCESS)
    assert rec.runs["b"].output == {
        "total": 7,
        "id": "o-1",
        "double": 14,
        "label": "order o-1",
        "big": True,
    }
    assert rec.runs["a"].input == {"total": 7, "id": "o-1"}
    assert rec.started == ["t", "a", "b"]


async def test_branches_run_concurrently_and_joins_wait(executor: Executor) -> None:
    workflow = flow(
        [node("t", "TRIGGER"), node("w1", "WAIT", seconds="50"), node("w2", "WAIT", seconds="50"),
         node("j", "TRANSFORM", target="joined", expression="{{ 1 }}")],
        [("t", "main", "w1"), ("t", "main", "w2"), ("w1", "main", "j"), ("w2", "main", "j")],
    )  # fmt: skip
    start = time.monotonic()
    result, rec = await run(executor, workflow)  # each wait is 0.5 s at time_scale 0.01
    assert result.status is m.ExecutionStatus.SUCCESS
    assert time.monotonic() - start < 0.85, (
        "the two waits must overlap (one after the other: 1.0 s)"
    )
    join = rec.runs["j"]
    assert join.started_at is not None
    assert join.started_at >= max(rec.runs["w1"].finished_at or 0, rec.runs["w2"].finished_at or 0)


async def test_condition_branches_and_skip_propagation(executor: Executor) -> None:
    workflow = flow(
        [node("t", "TRIGGER"), node("c", "IF", left="{{ $json.status }}", operator="equals", right="failed"),
         node("yes", "TRANSFORM", target="y", expression="{{ 1 }}"),
         node("no", "TRANSFORM", target="n", expression="{{ 1 }}"),
         node("after_no", "WAIT", seconds="0")],
        [("t", "main", "c"), ("c", "true", "yes"), ("c", "false", "no"), ("no", "main", "after_no")],
    )  # fmt: skip
    result, rec = await run(executor, workflow, {"status": "failed"})
    assert result.status is m.ExecutionStatus.SUCCESS
    assert (rec.status("yes"), rec.status("no"), rec.status("after_no")) == (
        S.SUCCESS,
        S.SKIPPED,
        S.SKIPPED,
    )
    _, rec = await run(executor, workflow, {"status": "ok"})
    assert (rec.status("yes"), rec.status("no"), rec.status("after_no")) == (
        S.SKIPPED,
        S.SUCCESS,
        S.SUCCESS,
    )


async def test_disabled_node_passes_its_input_through(executor: Executor) -> None:
    workflow = flow(
        [node("t", "TRIGGER"), node("off", "TRANSFORM", disabled=True, target="x", expression="{{ 1 }}"),
         node("next", "TRANSFORM", target="y", expression="{{ 2 }}")],
        [("t", "main", "off"), ("off", "main", "next")],
    )  # fmt: skip
    _, rec = await run(executor, workflow, {"a": 1})
    assert rec.status("off") is S.SKIPPED
    assert rec.runs["next"].output == {"a": 1, "y": 2}


async def test_retry_then_success_records_attempts(executor: Executor, upstream: Upstream) -> None:
    attempts = 0

    class Flaky(OfflineProvider):
        async def complete(self, prompt: str, **kwargs: Any) -> str:
            nonlocal attempts
            attempts += 1
            if attempts < 3:
                raise ConnectionError("provider down")
            return "fine"

    flaky = Executor(http=executor.context.http, llm=Flaky(), time_scale=0.001)
    workflow = flow([node("t", "TRIGGER"), node("ai", "AI", retry={"max_tries": 3, "wait_between_tries": 1}, prompt="hi {{ $json.x }}")],
                    [("t", "main", "ai")])  # fmt: skip
    result, rec = await run(flaky, workflow, {"x": 1})
    assert result.status is m.ExecutionStatus.SUCCESS
    assert rec.runs["ai"].attempts == 3
    assert rec.runs["ai"].output["ai"] == {"text": "fine", "model": "offline"}


async def test_on_error_continue_and_stop(executor: Executor, upstream: Upstream) -> None:
    nodes = [node("t", "TRIGGER"), node("bad", "HTTP_REQUEST", url=f"{upstream.url}/status/500"),
             node("next", "TRANSFORM", target="after", expression="{{ 1 }}")]  # fmt: skip
    edges = [("t", "main", "bad"), ("bad", "main", "next")]
    result, rec = await run(executor, flow(nodes, edges), {"keep": True})
    assert result.status is m.ExecutionStatus.SUCCESS
    assert rec.status("bad") is S.ERROR and "HTTP 500" in (rec.runs["bad"].error or "")
    assert rec.runs["next"].output == {"keep": True, "after": 1}
    nodes[1]["on_error"] = "stop"
    nodes.append(node("slow", "WAIT", seconds="500"))
    edges.append(("t", "main", "slow"))
    result, rec = await run(executor, flow(nodes, edges))
    assert result.status is m.ExecutionStatus.ERROR
    assert result.error is not None and result.error.node_id == "bad"
    assert rec.status("slow") is S.CANCELED
    assert "next" not in rec.runs


async def test_workflow_timeout(upstream: Upstream) -> None:
    async with httpx.AsyncClient() as client:
        executor = Executor(http=client, llm=OfflineProvider(), time_scale=0.002)
        workflow = flow(
            [node("t", "TRIGGER"), node("w", "WAIT", seconds="600")],
            [("t", "main", "w")],
            timeout=60,
        )
        result, rec = await run(executor, workflow)
    assert result.status is m.ExecutionStatus.TIMED_OUT
    assert rec.status("w") is S.CANCELED


async def test_external_cancellation_cancels_running_nodes(executor: Executor) -> None:
    workflow = flow([node("t", "TRIGGER"), node("w", "WAIT", seconds="1000")], [("t", "main", "w")])
    recorder = Recorder()
    task = asyncio.create_task(executor.execute(workflow, {}, recorder))
    for _ in range(500):
        if "w" in recorder.started:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert recorder.status("w") is S.CANCELED


async def test_http_request_node(executor: Executor, upstream: Upstream) -> None:
    workflow = flow(
        [node("t", "TRIGGER"),
         node("post", "HTTP_REQUEST", url=upstream.url + "/orders/{{ $json.id }}", method="POST",
              headers='{"x-trace": "t-{{ $json.id }}"}', body='{"total": {{ $json.total }}}'),
         node("text", "HTTP_REQUEST", url=upstream.url + "/text"),
         node("slow", "HTTP_REQUEST", url=upstream.url + "/slow", timeout_s="0.2")],
        [("t", "main", "post"), ("t", "main", "text"), ("t", "main", "slow")],
    )  # fmt: skip
    _, rec = await run(executor, workflow, {"id": "7", "total": 3})
    body = rec.runs["post"].output["body"]
    assert rec.runs["post"].output["status"] == 200
    assert body == {"path": "/orders/7", "method": "POST", "header": "t-7", "body": '{"total":3}'}
    assert rec.runs["text"].output["body"] == "plain"
    assert rec.status("slow") is S.ERROR and "timed out" in (rec.runs["slow"].error or "")


async def test_every_catalog_type_has_an_implementation(
    executor: Executor, upstream: Upstream
) -> None:
    params = {"TRIGGER": {}, "HTTP_REQUEST": {"url": upstream.url + "/x"},
              "TRANSFORM": {"target": "t", "expression": "{{ 1 }}"},
              "CONDITION": {"left": "1", "operator": "equals", "right": "1"},
              "WAIT": {"seconds": "0"}, "AI": {"prompt": "hello"}}  # fmt: skip
    assert set(params) == set(CATALOG)
    for type_name, p in params.items():
        runner = runner_for(type_name)
        result = await runner(
            m.Node.model_validate(node("n", type_name, **p)), {"a": 1}, executor.context
        )
        assert isinstance(result.output, dict)


async def test_fixture_workflow_runs_end_to_end(executor: Executor, upstream: Upstream) -> None:
    data = load_workflow(20)
    for n in data["nodes"]:
        if n["type"] == "HTTP_REQUEST":
            n["parameters"]["url"] = n["parameters"]["url"].replace(
                "https://api.example.com", upstream.url
            )
    workflow = m.Workflow.model_validate(data)
    result, rec = await run(executor, workflow, {"total": 5, "status": "failed"})
    assert result.status is m.ExecutionStatus.SUCCESS
    assert set(rec.runs) == {n.id for n in workflow.nodes}
    assert rec.status("n17") is S.SKIPPED  # disabled in the fixture
    assert rec.runs["n1"].output["field_1"] == 20
    assert {c[1] for c in upstream.calls} >= {"/v2/orders/5", "/v2/orders/10", "/v2/orders/15"}


async def test_no_trigger_is_an_error(executor: Executor) -> None:
    result, _ = await run(executor, flow([node("a", "WAIT", seconds="0")], []))
    assert result.status is m.ExecutionStatus.ERROR
    assert result.error is not None and "no TRIGGER" in result.error.message
