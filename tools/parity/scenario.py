"""Record the committed parity corpus: a scripted session on the gateway with capture on.

    python -m tools.parity.scenario tests/parity/engine.jsonl

Starts an engine and a gateway in this process (loopback, ephemeral ports, a temporary
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
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from bridge.settings import BridgeSettings
from gateway.app import create_app
from gateway.capture import read_corpus
from gateway.settings import GatewaySettings
from services.engine.app import Engine
from services.engine.settings import EngineSettings

KEYS = {"alice-key": "alice", "bob-key": "bob"}
_REF = re.compile(r"\{(\w+)\}")
FLAGS = {
    "services": {"workflow_engine": "http"},
    "methods": {f"workflow_engine/{name}": "grpc" for name in (
        "GetWorkflow", "ListExecutions", "CancelExecution", "CreateTrigger", "FireWebhook",
        "ListTriggerEvents")},
}  # fmt: skip
"""Where the recorded calls go: HTTP, with some methods kept on gRPC, so the corpus holds
answers of both protocols."""
Refs = dict[str, str]


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
    save: tuple[str, Callable[[dict[str, Any]], str]] | None = None
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


def _id(path: str) -> Callable[[dict[str, Any]], str]:
    def pick(body: dict[str, Any]) -> str:
        value: Any = body
        for part in path.split("."):
            value = value[part]
        return str(value)

    return pick


STEPS: list[Step] = [
    Step("create a workflow (credentials redacted)", "POST", "/api/app/workflows", body=PING,
         key="create-ping", status=201, save=("ping", _id("workflow.id"))),
    Step("create a second workflow", "POST", "/api/app/workflows", body=SLOW, status=201,
         save=("slow", _id("workflow.id"))),
    Step("invalid input: a node type the engine cannot run", "POST", "/api/app/workflows",
         body=UNRUNNABLE, status=400),
    Step("read it back", "GET", "/api/app/workflows/{ping}"),
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


def _fill(value: Any, refs: Refs) -> Any:
    if isinstance(value, str):  # "{ping}" -> an id kept earlier; "{{ $json.n }}" stays
        return _REF.sub(lambda m: refs.get(m.group(1), m.group(0)), value)
    if isinstance(value, dict):
        return {k: _fill(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, refs) for v in value]
    return value


def _free_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


@contextlib.asynccontextmanager
async def capturing_stack(tmp: Path, capture: Path, flags: dict[str, Any]) -> AsyncIterator[str]:
    """Engine + gateway in this process, capture on; yields the gateway's base URL."""
    engine = Engine(EngineSettings(data_dir=tmp / "db"), BridgeSettings(port=0, grpc_port=0))
    await engine.server.start()
    flags_file = tmp / "flags.json"
    flags_file.write_text(json.dumps(flags))
    settings = GatewaySettings(
        workflow_engine_url=engine.server.http_url,
        workflow_engine_grpc=engine.server.grpc_address,
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
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        await engine.server.stop(grace=1)


async def record(out: Path) -> int:
    """Play STEPS, write the annotated corpus to ``out``; returns the number of records."""
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        capture = tmp / "capture.jsonl"
        refs: Refs = {}
        async with (
            capturing_stack(tmp, capture, FLAGS) as url,
            httpx.AsyncClient(base_url=url, timeout=10) as http,
        ):
            for step in STEPS:
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
        records = read_corpus(capture)
    if len(records) != len(STEPS):
        raise RuntimeError(f"{len(STEPS)} steps but {len(records)} recorded calls")
    lines = [
        r.model_copy(update={"note": step.note}).model_dump_json(exclude_defaults=False)
        for r, step in zip(records, STEPS, strict=True)
    ]
    await asyncio.to_thread(_write, out, lines)
    return len(lines)


def _write(out: Path, lines: list[str]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    count = asyncio.run(record(args.out))
    print(f"{count} calls recorded to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
