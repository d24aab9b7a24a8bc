"""Transport benchmark: the gateway's typed client over each transport, client -> engine.

    python -m bench.transports [--seconds 3]

The engine runs in its own process (SQLite, uvloop); this process drives GetWorkflow of
the 20-node fixture through WorkflowClient over GrpcTransport and over HttpTransport
(aiohttp), at 1 and 16 concurrent callers, alternating transports. The client side is
Python here, as it is in the gateway, so this is the number the migration lives with.
Last line: one JSON object with ``http_vs_grpc_throughput_c16``, ``http_p50_c1_ms``,
``grpc_p50_c1_ms``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import uvloop

from bench import loadgen
from bench.fixtures import load_workflow
from contract import models as m
from gateway.clients import CallOptions, GrpcTransport, HttpTransport, Transport, WorkflowClient

USER = "bench-user"


async def drive(
    transport: Transport, workflow_id: str, callers: int, seconds: float
) -> dict[str, float]:
    client = WorkflowClient(transport)
    request = m.GetWorkflowRequest(workflow_id=workflow_id, user_id=USER)
    options = CallOptions(user_id=USER, timeout=10)
    for _ in range(50):  # warm-up: connections, plans
        await client.get_workflow(request, options)
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def caller() -> None:
        while time.perf_counter() < stop:
            start = time.perf_counter()
            reply = await client.get_workflow(request, options)
            latencies.append((time.perf_counter() - start) * 1000)
            assert len(reply.workflow.nodes) == 20  # type: ignore[union-attr]

    began = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(callers)))
    elapsed = time.perf_counter() - began
    return {
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 3),
    }


async def measure(
    http_url: str, grpc_address: str, workflow_id: str, seconds: float, rounds: int
) -> dict[str, float]:
    best: dict[str, dict[str, float]] = {}
    for _ in range(rounds):
        for callers in (1, 16):
            for name in ("grpc", "http"):
                transport: Transport = (
                    GrpcTransport(grpc_address) if name == "grpc" else HttpTransport(http_url)
                )
                try:
                    result = await drive(transport, workflow_id, callers, seconds)
                finally:
                    await transport.aclose()
                key = f"{name}_c{callers}"
                if key not in best or result["rps"] > best[key]["rps"]:
                    best[key] = result
    summary: dict[str, float] = {}
    for key, result in sorted(best.items()):
        summary[f"{key}_rps"] = result["rps"]
        summary[f"{key}_p50_ms"] = result["p50_ms"]
    summary["http_vs_grpc_throughput_c16"] = round(
        best["http_c16"]["rps"] / best["grpc_c16"]["rps"], 3
    )
    summary["http_p50_c1_ms"] = best["http_c1"]["p50_ms"]
    summary["grpc_p50_c1_ms"] = best["grpc_c1"]["p50_ms"]
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    http_port, grpc_port = loadgen.free_port(), loadgen.free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {"PORT": str(http_port), "GRPC_PORT": str(grpc_port), "DATA_DIR": str(Path(tmp)),
               "LOG_LEVEL": "WARNING"}  # fmt: skip
        with loadgen.ServerProcess(
            ["-m", "bridge.cli", "serve", "engine"],
            http_port=http_port,
            grpc_port=grpc_port,
            env=env,
        ):
            base = f"http://127.0.0.1:{http_port}"
            fixture = load_workflow(20)
            body = {k: fixture[k] for k in ("name", "nodes", "connections", "settings", "tags")}
            created = httpx.post(f"{base}/v1/workflows", json={**body, "user_id": USER}, timeout=10)
            workflow_id = created.json()["workflow"]["id"]
            summary = uvloop.run(
                measure(base, f"127.0.0.1:{grpc_port}", workflow_id, args.seconds, args.rounds)
            )
    for key in ("grpc_c1", "http_c1", "grpc_c16", "http_c16"):
        print(f"{key:<10}{summary[key + '_rps']:>10} req/s   p50 {summary[key + '_p50_ms']} ms")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
