"""Record the committed parity corpus: a scripted session on the gateway with capture on.

    python -m tools.parity.scenario tests/parity/

Starts an engine, an agent and a gateway in this process (loopback, ephemeral ports, a temporary
SQLite), with ``CAPTURE_PATH`` set and the engine's flags sending some methods over gRPC
and the rest over HTTP (so the corpus holds answers of both), then plays the steps below
through the public API as two users. Each step reaches exactly one service call, so the
capture's records are matched to the steps in order and get the step's note. The corpus is
therefore what the gateway really recorded (redaction included), not a hand-written file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import socket
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from pydantic import BaseModel

from bridge.errors import BridgeError
from bridge.settings import BridgeSettings
from contract.agent.v1 import agent_pb2
from contract.engine.v1 import engine_pb2
from gateway.app import create_app
from gateway.capture import CallRecorder, read_corpus
from gateway.clients import CallOptions, GrpcTransport
from gateway.clients._base import methods_of
from gateway.settings import GatewaySettings
from services.agent.app import Agent
from services.engine.app import Engine
from services.engine.settings import EngineSettings

KEYS = {"alice-key": "alice", "bob-key": "bob"}
_REF = re.compile(r"\{(\w+)\}")
FLAGS = {
    "services": {"workflow_engine": "http", "workflow_agent": "http"},
    "methods": {f"{service}/{name}": "grpc" for service, name in (
        ("workflow_engine", "GetWorkflow"), ("workflow_engine", "ListExecutions"),
        ("workflow_engine", "CancelExecution"), ("workflow_engine", "CreateTrigger"),
        ("workflow_engine", "FireWebhook"), ("workflow_engine", "ListTriggerEvents"),
        ("workflow_agent", "ValidateWorkflow"))},
}  # fmt: skip
"""Where the recorded calls go: HTTP, with some methods kept on gRPC, so the corpus holds
answers of both protocols."""
Refs = dict[str, Any]


@dataclass(frozen=True)
class Step:
    note: str
    verb: str
    path: str
    """May name earlier answers: ``{ping}`` is the id ``save="ping"`` kept."""
    user: str | None = "alice"
    body: dict[str, Any] | None = None
    query: dict[str, Any] | None = None
    key: str | None = None
    """Idempotency key."""
    status: int = 200
    save: tuple[str, Callable[[dict[str, Any]], Any]] | None = None
    pause: float = 0.0
    """Seconds to wait after the call (executions run in the background)."""


def _node(node_id: str, kind: str, x: int, **extra: Any) -> dict[str, Any]:
    return {"id": node_id, "name": node_id.title(), "type": kind, "position": {"x": x, "y": 0},
            **extra}  # fmt: skip


PING = {
    "name": "Ping",
    "description": "parity corpus",
    "tags": ["parity"],
    "nodes": [
        _node("start", "TRIGGER", 0, subtype="MANUAL"),
        _node("double", "TRANSFORM", 200, credentials={"api": "cred-ping-secret"},
              parameters={"target": "double", "expression": "{{ $json.n * 2 }}"}),
    ],
    "connections": {"start": {"main": [{"node": "double", "type": "main", "index": 0}]}},
}  # fmt: skip
SLOW = {
    "name": "Slow",
    "nodes": [_node("start", "TRIGGER", 0, subtype="MANUAL"),
              _node("wait", "WAIT", 200, parameters={"seconds": "5"})],
    "connections": {"start": {"main": [{"node": "wait", "type": "main", "index": 0}]}},
}  # fmt: skip
UNRUNNABLE = {"name": "Broken", "nodes": [_node("x", "NO_SUCH_NODE", 0)]}


def _id(path: str) -> Callable[[dict[str, Any]], Any]:
    """Keep a value of the answer (``workflow.id``) for later steps."""

    def pick(body: dict[str, Any]) -> Any:
        value: Any = body
        for part in path.split("."):
            value = value[part]
        return value

    return pick


STEPS: list[Step] = [
    Step("create a workflow (credentials redacted)", "POST", "/api/app/workflows", body=PING,
         key="create-ping", status=201, save=("ping", _id("workflow.id"))),
    Step("create a second workflow", "POST", "/api/app/workflows", body=SLOW, status=201,
         save=("slow", _id("workflow.id"))),
    Step("invalid input: a node type the engine cannot run", "POST", "/api/app/workflows",
         body=UNRUNNABLE, status=400),
    Step("read it back", "GET", "/api/app/workflows/{ping}", save=("ping_wf", _id("workflow"))),
    Step("permission: another user's workflow is NOT_FOUND", "GET", "/api/app/workflows/{ping}",
         user="bob", status=404),
    Step("not found", "GET", "/api/app/workflows/wf_does_not_exist", status=404),
    Step("partial update with the right version", "PATCH", "/api/app/workflows/{ping}",
         body={"name": "Ping v2", "expected_version": "1"}),
    Step("update with a stale version: FAILED_PRECONDITION", "PATCH", "/api/app/workflows/{ping}",
         body={"description": "late", "expected_version": "1"}, status=400),
    Step("list by tag", "GET", "/api/app/workflows",
         query={"tags": "parity", "active_only": "false"}),
    Step("list: the other user sees nothing", "GET", "/api/app/workflows", user="bob"),
    Step("list a second page", "GET", "/api/app/workflows", query={"limit": 1, "offset": 1}),
    Step("execute (idempotent)", "POST", "/api/app/workflows/{ping}/execute",
         body={"trigger_data": {"n": 21}}, key="run-ping", status=202,
         save=("run", _id("execution_id")), pause=0.5),
    Step("read the finished execution", "GET", "/api/app/executions/{run}"),
    Step("permission: another user's execution", "GET", "/api/app/executions/{run}", user="bob",
         status=404),
    Step("list executions of a workflow", "GET", "/api/app/executions",
         query={"workflow_id": "{ping}"}),
    Step("list executions by status", "GET", "/api/app/executions", query={"status": "SUCCESS"}),
    Step("cancel a finished execution: FAILED_PRECONDITION", "POST",
         "/api/app/executions/{run}/cancel", body={}, status=400),
    Step("start a long execution", "POST", "/api/app/workflows/{slow}/execute", body={},
         status=202, save=("long", _id("execution_id")), pause=0.3),
    Step("cancel it", "POST", "/api/app/executions/{long}/cancel", body={}, pause=0.3),
    Step("cancel: not found", "POST", "/api/app/executions/ex_missing/cancel", body={},
         status=404),
    Step("create a manual trigger", "POST", "/api/app/triggers",
         body={"workflow_id": "{ping}", "type": "MANUAL"}, status=201,
         save=("manual", _id("trigger.id"))),
    Step("create a webhook trigger", "POST", "/api/app/triggers",
         body={"workflow_id": "{ping}", "type": "WEBHOOK", "config": {"path": "/orders"}},
         status=201, save=("hook", _id("trigger.id"))),
    Step("invalid input: a cron trigger with a bad expression", "POST", "/api/app/triggers",
         body={"workflow_id": "{ping}", "type": "CRON", "config": {"cron": "every minute"}},
         status=400),
    Step("trigger for another user's workflow: NOT_FOUND", "POST", "/api/app/triggers",
         body={"workflow_id": "{ping}", "type": "MANUAL"}, user="bob", status=404),
    Step("read a trigger", "GET", "/api/app/triggers/{manual}"),
    Step("permission: another user's trigger", "GET", "/api/app/triggers/{manual}", user="bob",
         status=404),
    Step("list triggers of a workflow", "GET", "/api/app/triggers",
         query={"workflow_id": "{ping}"}),
    Step("fire the manual trigger", "POST", "/api/app/triggers/{manual}/fire",
         body={"payload": {"n": 2}}, key="fire-1", status=202, pause=0.3),
    Step("fire the webhook (public entry, no user)", "POST", "/api/public/webhooks/{hook}",
         user=None, body={"order": 7}, key="hook-1", status=202, pause=0.3),
    Step("webhook: unknown trigger", "POST", "/api/public/webhooks/tr_missing", user=None,
         body={}, status=404),
    Step("webhook: a manual trigger is not a webhook", "POST", "/api/public/webhooks/{manual}",
         user=None, body={}, status=404),
    Step("trigger events", "GET", "/api/app/triggers/{manual}/events"),
    Step("events of a missing trigger", "GET", "/api/app/triggers/tr_missing/events", status=404),
    Step("delete a trigger", "DELETE", "/api/app/triggers/{hook}"),
    Step("read a deleted trigger", "GET", "/api/app/triggers/{hook}", status=404),
    Step("delete a trigger twice", "DELETE", "/api/app/triggers/{hook}", status=404),
    Step("delete a workflow", "DELETE", "/api/app/workflows/{slow}"),
    Step("execute a deleted workflow", "POST", "/api/app/workflows/{slow}/execute", body={},
         status=404),
    Step("permission: delete another user's workflow", "DELETE", "/api/app/workflows/{ping}",
         user="bob", status=404),
]  # fmt: skip


AGENT_STEPS: list[Step] = [
    Step("generate a workflow from a description", "POST", "/api/app/agent/workflows/generate",
         body={"description": "When a webhook arrives, fetch https://api.example.com/orders "
                              "and if the total is over 100, transform it",
               "user_preferences": {"style": "compact"}},
         save=("draft", _id("workflow"))),
    Step("generate: too vague, missing information", "POST", "/api/app/agent/workflows/generate",
         body={"description": "do something"}),
    Step("validate the generated workflow", "POST", "/api/app/agent/workflows/validate",
         body={"workflow_data": "{draft}"}),
    Step("validate a stored workflow", "POST", "/api/app/agent/workflows/validate",
         body={"workflow_data": "{ping_wf}"}),
    Step("invalid input: validate a broken workflow (in-band errors)", "POST",
         "/api/app/agent/workflows/validate",
         body={"workflow_data": {"name": "x", "nodes": [{"id": "a", "type": "NO_SUCH_NODE"}],
                                 "connections": {"a": {"main": [{"node": "ghost"}]}}}}),
    Step("refine a stored workflow", "POST", "/api/app/agent/workflows/{ping}/refine",
         body={"feedback": "add a wait of 5 seconds after the start",
               "original_workflow": "{ping_wf}"}),
    Step("refine the draft", "POST", "/api/app/agent/workflows/wf_draft/refine",
         body={"feedback": "rename it to Orders over 100", "original_workflow": "{draft}"}),
    Step("conversation (stream): a turn that asks for the missing Slack webhook", "POST",
         "/api/app/agent/conversations/s1/turns",
         body={"user_message": "When a webhook arrives, notify Slack"}),
    Step("conversation (stream): a turn that delivers the workflow", "POST",
         "/api/app/agent/conversations/s2/turns",
         body={"user_message": "Every hour fetch https://api.example.com/status and "
                               "summarize it with AI"}),
]  # fmt: skip


@dataclass(frozen=True)
class Direct:
    """A call a direct (internal) caller could make with input the gateway would refuse:
    sent without client-side validation, recorded ``unchecked``."""

    note: str
    package: str
    service: str
    method: str
    request: dict[str, Any]
    user: str | None = "alice"


DIRECT: list[Direct] = [
    Direct("invalid input: a page size of 0", "engine", "WorkflowService", "ListWorkflows",
           {"user_id": "alice", "limit": 0}),
    Direct("invalid input: a blank user id", "engine", "TriggerService", "ListTriggers",
           {"user_id": "   "}),
    Direct("invalid input: a negative offset", "engine", "WorkflowService", "ListExecutions",
           {"user_id": "alice", "offset": -1}),
    Direct("invalid input: an empty description", "agent", "WorkflowAgent", "GenerateWorkflow",
           {"description": ""}, user=None),
    Direct("invalid input: a description over 5000 characters", "agent", "WorkflowAgent",
           "GenerateWorkflow", {"description": "x" * 5001}, user=None),
    Direct("invalid input: a blank conversation turn (an error before the stream)", "agent",
           "ConversationService", "ProcessConversation",
           {"session_id": "s3", "user_message": "   ", "user_id": "alice"}),
]  # fmt: skip


def _fill(value: Any, refs: Refs) -> Any:
    """Steps name earlier answers: ``"{ping_wf}"`` alone becomes the kept object, and
    ``{ping}`` inside a string the kept id; ``{{ $json.n }}`` is left alone."""
    if isinstance(value, str):
        whole = _REF.fullmatch(value)
        if whole is not None and whole.group(1) in refs:
            return refs[whole.group(1)]
        return _REF.sub(lambda m: str(refs.get(m.group(1), m.group(0))), value)
    if isinstance(value, dict):
        return {k: _fill(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, refs) for v in value]
    return value


def _free_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


@dataclass
class Stack:
    url: str
    engine: Engine
    agent: Agent


@contextlib.asynccontextmanager
async def capturing_stack(tmp: Path, capture: Path, flags: dict[str, Any]) -> AsyncIterator[Stack]:
    """Engine, agent and gateway in this process, capture on."""
    ports = BridgeSettings(port=0, grpc_port=0)
    engine = Engine(EngineSettings(data_dir=tmp / "db"), ports)
    agent = Agent(bridge_settings=ports)
    await engine.server.start()
    await agent.server.start()
    flags_file = tmp / "flags.json"
    flags_file.write_text(json.dumps(flags))
    settings = GatewaySettings(
        workflow_engine_url=engine.server.http_url,
        workflow_engine_grpc=engine.server.grpc_address,
        workflow_agent_url=agent.server.http_url,
        workflow_agent_grpc=agent.server.grpc_address,
        flags_store=f"file:{flags_file}",
        api_keys=KEYS,
        capture_path=str(capture),
        capture_sample_rate=1.0,
    )
    sock = _free_socket()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_config=None, lifespan="on"))
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(1000):
            if server.started:
                break
            await asyncio.sleep(0.01)
        yield Stack(f"http://127.0.0.1:{sock.getsockname()[1]}", engine, agent)
    finally:
        server.should_exit = True
        await task
        await agent.server.stop(grace=1)
        await engine.server.stop(grace=1)


async def _play(http: httpx.AsyncClient, steps: list[Step], refs: Refs) -> None:
    for step in steps:
        headers = {}
        if step.user is not None:
            key = next(k for k, user in KEYS.items() if user == step.user)
            headers["authorization"] = f"Bearer {key}"
        if step.key:
            headers["idempotency-key"] = step.key
        reply = await http.request(
            step.verb, _fill(step.path, refs), json=_fill(step.body, refs),
            params=_fill(step.query, refs), headers=headers,
        )  # fmt: skip
        if reply.status_code != step.status:
            raise RuntimeError(f"{step.note}: HTTP {reply.status_code}: {reply.text}")
        if step.save is not None:
            refs[step.save[0]] = step.save[1](reply.json())
        await asyncio.sleep(step.pause)


async def _direct(stack: Stack, recorder: CallRecorder) -> None:
    """DIRECT, over gRPC straight to the services, recorded like the gateway records."""
    servers = {"engine": stack.engine.server, "agent": stack.agent.server}
    descriptors = {"engine": engine_pb2.DESCRIPTOR, "agent": agent_pb2.DESCRIPTOR}
    for call in DIRECT:
        server = servers[call.package]
        method = methods_of(descriptors[call.package].services_by_name[call.service])[call.method]
        transport = GrpcTransport(server.grpc_address)
        request = method.request_model.model_construct(**call.request)
        options = CallOptions(user_id=call.user)
        started = time.perf_counter()
        try:
            outcome: BaseModel | list[BaseModel] | BridgeError = (
                [m async for m in transport.stream(method, request, options)]
                if method.server_streaming
                else await transport.call(method, request, options)
            )
        except BridgeError as exc:
            outcome = exc
        finally:
            await transport.aclose()
        recorder.record(method, request, options, "grpc", outcome, started)


async def record(out_dir: Path) -> dict[str, int]:
    """Play the steps; write ``engine.jsonl`` and ``agent.jsonl`` into ``out_dir``."""
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        capture, direct = tmp / "capture.jsonl", tmp / "direct.jsonl"
        refs: Refs = {}
        async with capturing_stack(tmp, capture, FLAGS) as stack:
            async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
                await _play(http, STEPS, refs)
                await _play(http, AGENT_STEPS, refs)
            recorder = CallRecorder(direct)
            await _direct(stack, recorder)
            await recorder.aclose()
        captured, unchecked = read_corpus(capture), read_corpus(direct)
    steps = [*STEPS, *AGENT_STEPS]
    if len(captured) != len(steps) or len(unchecked) != len(DIRECT):
        raise RuntimeError(f"{len(steps)} steps but {len(captured)} recorded calls")
    notes = [step.note for step in steps]
    records = [r.model_copy(update={"note": n}) for r, n in zip(captured, notes, strict=True)]
    records += [
        r.model_copy(update={"note": d.note, "unchecked": True})
        for r, d in zip(unchecked, DIRECT, strict=True)
    ]
    counts = {}
    for name, package in (("engine", "contract.engine.v1."), ("agent", "contract.agent.v1.")):
        mine = [r for r in records if r.service.startswith(package)]
        lines = [r.model_copy(update={"seq": i}).model_dump_json() for i, r in enumerate(mine)]
        await asyncio.to_thread(_write, out_dir / f"{name}.jsonl", lines)
        counts[name] = len(lines)
    return counts


def _write(out: Path, lines: list[str]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir", type=Path, help="where engine.jsonl and agent.jsonl go")
    args = parser.parse_args(argv)
    counts = asyncio.run(record(args.out_dir))
    print(", ".join(f"{count} {name} calls" for name, count in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
