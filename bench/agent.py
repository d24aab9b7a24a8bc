"""Agent benchmark: validate (50-node workflow) and offline generate, in process and over
each protocol.

    python -m bench.agent [--iterations 400] [--warmup 40]

With the offline provider (no network, deterministic), side by side:

1. In process: the handlers alone (``AgentHandlers.validate`` / ``.generate`` with their
   request models), no transport.
2. Over each protocol: the agent server in its own process (``bridgectl serve agent``,
   ``LLM_PROVIDER=offline``), called one request at a time by a stock gRPC stub and by an
   httpx client on one pooled keep-alive connection (request bodies encoded once).

Validate uses the first 50 nodes of the 200-node fixture with the edges among them (a
valid, realistic workflow: webhooks, HTTP calls, conditions, AI, waits). Generate cycles
through eight descriptions that the offline provider turns into complete workflows.
p50/p99 in milliseconds per call; a 2-node validate over each protocol gives the floor
(transport, framing, conversion of a tiny message). The last line is one JSON object;
``validate_p50_ms`` and ``generate_p50_ms`` are the worse of the two protocols.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import httpx
from google.protobuf import struct_pb2

from bench import loadgen
from bench.fixtures import load_workflow

DESCRIPTIONS: list[tuple[str, dict[str, str]]] = [
    ("When a webhook arrives, call an API and notify Slack if the status is error",
     {"api_url": "https://api.example.com/check",
      "slack_webhook_url": "https://hooks.slack.com/services/T0/B0/x"}),
    ("Every morning at 9 fetch https://news.example.com/today and summarize with AI", {}),
    ("Run cron 0 8 * * 1-5 in Europe/Paris: fetch https://x.example.com/a then post it to "
     "Slack", {"slack_webhook_url": "https://hooks.slack.com/services/T0/B0/x"}),
    ("Fetch https://crm.example.com/contacts, remove duplicates and store them",
     {"storage_api_url": "https://db.example.com/rows"}),
    ("Every night delete old files via https://files.example.com/old", {}),
    ("Fetch https://x.example.com/a, wait 5 minutes and then call https://x.example.com/b", {}),
    ("Fetch https://shop.example.com/orders and if the total is over 100 send an email to "
     "boss@example.com", {"email_api_url": "https://mail.example.com/send"}),
    ("Fetch https://x.example.com/s. If the status is ok notify Slack, otherwise send an "
     "email to ops@example.com",
     {"slack_webhook_url": "https://hooks.slack.com/services/T0/B0/x",
      "email_api_url": "https://mail.example.com/send"}),
]  # fmt: skip


def workflow_50() -> dict[str, Any]:
    """The first 50 nodes of the 200-node fixture and the edges among them."""
    data = load_workflow(200)
    nodes = data["nodes"][:50]
    kept = {node["id"] for node in nodes}
    connections: dict[str, Any] = {}
    for source, by_type in data["connections"].items():
        if source not in kept:
            continue
        edges = {kind: [e for e in targets if e["node"] in kept]
                 for kind, targets in by_type.items()}  # fmt: skip
        edges = {kind: targets for kind, targets in edges.items() if targets}
        if edges:
            connections[source] = edges
    return {**data, "nodes": nodes, "connections": connections}


SMALL: dict[str, Any] = {
    "name": "Two nodes",
    "nodes": [
        {"id": "t", "name": "Start", "type": "TRIGGER", "subtype": "MANUAL",
         "position": {"x": 0, "y": 0}},
        {"id": "w", "name": "Wait", "type": "WAIT", "parameters": {"seconds": "1"},
         "position": {"x": 1, "y": 0}},
    ],
    "connections": {"t": {"main": [{"node": "w", "type": "main", "index": 0}]}},
}  # fmt: skip

Call = Callable[[], Awaitable[Any]]


async def _measure(call: Call, iterations: int, warmup: int) -> dict[str, float]:
    for _ in range(warmup):
        await call()
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    p50, p99 = loadgen.percentiles(samples)
    return {"p50_ms": p50, "p99_ms": p99, "mean_ms": round(statistics.fmean(samples), 3)}


def _cycle(calls: list[Call]) -> Call:
    state = {"i": 0}

    async def call() -> Any:
        state["i"] += 1
        return await calls[state["i"] % len(calls)]()

    return call


async def in_process(iterations: int, warmup: int) -> dict[str, dict[str, float]]:
    from bridge.context import CallContext
    from contract import models as m
    from services.agent.graph import AgentGraph
    from services.agent.handlers import AgentHandlers
    from services.agent.offline import solvers
    from services.llm import OfflineProvider

    handlers = AgentHandlers(AgentGraph(OfflineProvider(solvers())))
    ctx = CallContext(protocol="http", service="WorkflowAgent", method="bench", request_id="b")
    validate = m.ValidateWorkflowRequest(workflow_data=workflow_50())
    report = await handlers.validate(validate, ctx)
    if not report.valid:
        raise RuntimeError(f"the 50-node workflow is not valid: {report.errors[:3]}")
    generates = [m.GenerateWorkflowRequest(description=d, context=c) for d, c in DESCRIPTIONS]
    for request in generates:
        answer = await handlers.generate(request, ctx)
        if not answer.success:
            raise RuntimeError(f"offline generate failed for {request.description!r}: {answer}")

    def generate_call(request: m.GenerateWorkflowRequest) -> Call:
        return lambda: handlers.generate(request, ctx)

    return {
        "validate": await _measure(lambda: handlers.validate(validate, ctx), iterations, warmup),
        "generate": await _measure(
            _cycle([generate_call(r) for r in generates]), iterations, warmup
        ),
    }


async def over_protocols(
    iterations: int, warmup: int, http_port: int, grpc_port: int
) -> dict[str, dict[str, dict[str, float]]]:
    from contract.agent.v1 import agent_pb2, agent_pb2_grpc

    workflow = workflow_50()
    struct = struct_pb2.Struct()
    struct.update(workflow)
    validate_proto = agent_pb2.ValidateWorkflowRequest(workflow_data=struct)
    validate_json = json.dumps({"workflow_data": workflow}).encode()
    # The floor: the same call with a 2-node workflow (transport and framing, little data).
    small_struct = struct_pb2.Struct()
    small_struct.update(SMALL)
    small_proto = agent_pb2.ValidateWorkflowRequest(workflow_data=small_struct)
    small_json = json.dumps({"workflow_data": SMALL}).encode()
    generate_protos = [
        agent_pb2.GenerateWorkflowRequest(description=d, context=c) for d, c in DESCRIPTIONS
    ]
    generate_jsons = [
        json.dumps({"description": d, "context": c}).encode() for d, c in DESCRIPTIONS
    ]
    headers = {"content-type": "application/json"}
    out: dict[str, dict[str, dict[str, float]]] = {}
    async with grpc.aio.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
        stub = agent_pb2_grpc.WorkflowAgentStub(channel)
        reply = await stub.ValidateWorkflow(validate_proto)
        if not reply.valid:
            raise RuntimeError(f"gRPC validate: {list(reply.errors)[:3]}")

        def grpc_generate(request: Any) -> Call:
            async def call() -> None:
                answer = await stub.GenerateWorkflow(request)
                assert answer.success, answer.missing_info

            return call

        out["grpc"] = {
            "validate": await _measure(
                lambda: stub.ValidateWorkflow(validate_proto), iterations, warmup
            ),
            "validate_2": await _measure(
                lambda: stub.ValidateWorkflow(small_proto), iterations, warmup
            ),
            "generate": await _measure(
                _cycle([grpc_generate(r) for r in generate_protos]), iterations, warmup
            ),
        }
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    base = f"http://127.0.0.1:{http_port}"
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
        checked = await http.post("/v1/workflows/validate", content=validate_json, headers=headers)
        if checked.status_code != 200 or not checked.json()["valid"]:
            raise RuntimeError(f"HTTP validate: {checked.status_code} {checked.text[:300]}")

        async def http_validate() -> None:
            response = await http.post(
                "/v1/workflows/validate", content=validate_json, headers=headers
            )
            assert response.status_code == 200

        def http_generate(body: bytes) -> Call:
            async def call() -> None:
                response = await http.post("/v1/workflows/generate", content=body,
                                           headers=headers)  # fmt: skip
                assert response.status_code == 200 and response.json()["success"]

            return call

        async def http_validate_small() -> None:
            response = await http.post("/v1/workflows/validate", content=small_json,
                                       headers=headers)  # fmt: skip
            assert response.status_code == 200

        out["http"] = {
            "validate": await _measure(http_validate, iterations, warmup),
            "validate_2": await _measure(http_validate_small, iterations, warmup),
            "generate": await _measure(
                _cycle([http_generate(b) for b in generate_jsons]), iterations, warmup
            ),
        }
    return out


def _table(rows: dict[str, dict[str, dict[str, float]]]) -> str:
    lines = [
        f"{'':12} {'validate p50':>13} {'validate p99':>13} {'generate p50':>13} "
        f"{'generate p99':>13} {'2-node validate p50':>20}   (ms)"
    ]
    for name, numbers in rows.items():
        v, g = numbers["validate"], numbers["generate"]
        floor = f"{numbers['validate_2']['p50_ms']:>20.3f}" if "validate_2" in numbers else ""
        lines.append(
            f"{name:12} {v['p50_ms']:>13.3f} {v['p99_ms']:>13.3f} "
            f"{g['p50_ms']:>13.3f} {g['p99_ms']:>13.3f} {floor}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=40)
    args = parser.parse_args(argv)
    iterations = max(100, args.iterations)  # percentiles need at least 100 samples
    rows = {"in-process": asyncio.run(in_process(iterations, args.warmup))}
    http_port, grpc_port = loadgen.free_port(), loadgen.free_port()
    env = {"PORT": str(http_port), "GRPC_PORT": str(grpc_port), "LLM_PROVIDER": "offline",
           "LOG_LEVEL": "WARNING"}  # fmt: skip
    server = loadgen.ServerProcess(
        ["-m", "bridge.cli", "serve", "agent"], http_port=http_port, grpc_port=grpc_port, env=env
    )
    with server:
        for protocol, numbers in asyncio.run(
            over_protocols(iterations, args.warmup, http_port, grpc_port)
        ).items():
            rows[protocol] = numbers
    print(f"agent, offline provider, {iterations} calls each, one at a time")
    print(_table(rows))
    summary: dict[str, Any] = {}
    for name, numbers in rows.items():
        key = name.replace("-", "_")
        for op in ("validate", "generate"):
            summary[f"{key}_{op}_p50_ms"] = numbers[op]["p50_ms"]
            summary[f"{key}_{op}_p99_ms"] = numbers[op]["p99_ms"]
    for protocol in ("grpc", "http"):
        summary[f"{protocol}_validate_2_nodes_p50_ms"] = rows[protocol]["validate_2"]["p50_ms"]
    summary["validate_p50_ms"] = max(rows[p]["validate"]["p50_ms"] for p in ("grpc", "http"))
    summary["generate_p50_ms"] = max(rows[p]["generate"]["p50_ms"] for p in ("grpc", "http"))
    summary["reported"] = "worse of grpc and http"
    summary["validate_nodes"] = len(workflow_50()["nodes"])
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
