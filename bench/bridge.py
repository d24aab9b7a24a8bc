"""Bridge overhead benchmark: raw grpc.aio, raw FastAPI, and the bridge serving both.

    python -m bench.bridge [--seconds 5] [--connections 16]

One realistic handler (GetWorkflow returning the 20-node fixture workflow, which it
holds as a Pydantic model, as handlers here do) is served three ways, each in its own
process on uvloop: a hand-written grpc.aio servicer (converting with the hand-written
code of bench/handwritten.py, as the pre-migration services did), a plain FastAPI route
(response_model), and the bridge (one declaration, both listeners on one loop). External
load generators drive them: h2load for gRPC (HTTP/2, -c 4 -m 4 = 16 streams in flight)
and wrk for HTTP/1.1 (16 connections). The gRPC servers and the bridge are checked to
answer correctly before they are loaded. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import tempfile
from pathlib import Path
from typing import Any

from bench import loadgen
from bench.fixtures import load_workflow

WORKFLOW_ID = "wf_bench"
USER = "bench-user"
GRPC_PATH = "/contract.engine.v1.WorkflowService/GetWorkflow"
HTTP_PATH = f"/v1/workflows/{WORKFLOW_ID}?user_id={USER}"


# -- the servers (run in child processes) ------------------------------------------------


def _workflow_response() -> Any:
    from contract.models import GetWorkflowResponse, Workflow

    return GetWorkflowResponse(
        workflow=Workflow.model_validate({**load_workflow(20), "id": WORKFLOW_ID}), found=True
    )


async def _serve_raw_grpc(port: int) -> None:
    import grpc

    from bench.handwritten import workflow_to_proto
    from contract.engine.v1 import engine_pb2, engine_pb2_grpc

    response = _workflow_response()

    class Servicer(engine_pb2_grpc.WorkflowServiceServicer):
        async def GetWorkflow(self, request: Any, context: Any) -> Any:
            return engine_pb2.GetWorkflowResponse(
                workflow=workflow_to_proto(response.workflow), found=True
            )

    server = grpc.aio.server()
    # Only GetWorkflow is benchmarked; the other methods stay abstract on purpose.
    engine_pb2_grpc.add_WorkflowServiceServicer_to_server(Servicer(), server)  # type: ignore[abstract]
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await _until_signal()
    await server.stop(0)


async def _serve_raw_http(port: int) -> None:
    import uvicorn
    from fastapi import FastAPI

    from contract.models import GetWorkflowResponse

    response = _workflow_response()
    app = FastAPI()

    @app.get("/v1/workflows/{workflow_id}", response_model=GetWorkflowResponse)
    async def get_workflow(workflow_id: str, user_id: str) -> GetWorkflowResponse:
        return response  # type: ignore[no-any-return]

    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    await uvicorn.Server(config).serve()


async def _serve_bridge(http_port: int, grpc_port: int) -> None:
    from bridge.server import BridgeServer
    from bridge.service import ServiceDefinition, get
    from bridge.settings import BridgeSettings
    from contract.binding import converter, model_for
    from contract.engine.v1 import engine_pb2

    response = _workflow_response()
    service = ServiceDefinition(
        engine_pb2.DESCRIPTOR.services_by_name["WorkflowService"],
        converter=converter(),
        model_for=model_for,
    )

    async def get_workflow(request: Any, ctx: Any) -> Any:
        return response

    async def unused(request: Any, ctx: Any) -> Any:
        raise NotImplementedError

    service.unary("GetWorkflow", get_workflow, http=get("/v1/workflows/{workflow_id}"))
    for name in service.descriptor.methods_by_name:
        if name != "GetWorkflow":
            service.unary(name, unused, http=get(f"/unused/{name}"))
    settings = BridgeSettings(port=http_port, grpc_port=grpc_port, log_level="WARNING")
    server = BridgeServer(
        name="bench", services=[service], default_http_port=http_port,
        default_grpc_port=grpc_port, settings=settings,
    )  # fmt: skip
    await server.run()


async def _until_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def _child(kind: str, http_port: int, grpc_port: int) -> None:
    import logging

    import uvloop

    logging.basicConfig(level=logging.WARNING)
    main = {
        "raw-grpc": lambda: _serve_raw_grpc(grpc_port),
        "raw-http": lambda: _serve_raw_http(http_port),
        "bridge": lambda: _serve_bridge(http_port, grpc_port),
    }[kind]()
    uvloop.run(main)


# -- the harness ---------------------------------------------------------------------------


def _grpc_body(directory: Path) -> Path:
    from contract.engine.v1 import engine_pb2

    request = engine_pb2.GetWorkflowRequest(workflow_id=WORKFLOW_ID, user_id=USER)
    return loadgen.grpc_frame(request.SerializeToString(), directory, "grpc-request.bin")


async def _check_grpc(port: int) -> None:
    import grpc

    from contract.engine.v1 import engine_pb2, engine_pb2_grpc

    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        reply = await engine_pb2_grpc.WorkflowServiceStub(channel).GetWorkflow(
            engine_pb2.GetWorkflowRequest(workflow_id=WORKFLOW_ID, user_id=USER), timeout=5
        )
    if len(reply.workflow.nodes) != 20:
        raise RuntimeError("gRPC server answered without the 20-node workflow")


def _check_http(port: int) -> None:
    import httpx

    reply = httpx.get(f"http://127.0.0.1:{port}{HTTP_PATH}", timeout=5).json()
    if len(reply["workflow"]["nodes"]) != 20:
        raise RuntimeError("HTTP server answered without the 20-node workflow")


def serve(kind: str) -> loadgen.ServerProcess:
    """One of the three servers in a child process (ports chosen here)."""
    http_port = loadgen.free_port() if kind != "raw-grpc" else 0
    grpc_port = loadgen.free_port() if kind != "raw-http" else 0
    return loadgen.ServerProcess(
        ["-m", "bench.bridge", "--serve", kind, "--http-port", str(http_port),
         "--grpc-port", str(grpc_port)],
        http_port=http_port, grpc_port=grpc_port,
    )  # fmt: skip


def load_grpc(
    tools: dict[str, str], port: int, body: Path, seconds: float, conns: int, log: Path
) -> dict[str, float]:
    return loadgen.h2load(
        tools, f"http://127.0.0.1:{port}{GRPC_PATH}", seconds=seconds, conns=conns, log=log,
        body=body, headers=("content-type: application/grpc", "te: trailers"),
    )  # fmt: skip


def load_http(tools: dict[str, str], port: int, seconds: float, conns: int) -> dict[str, float]:
    return loadgen.wrk(tools, f"http://127.0.0.1:{port}{HTTP_PATH}", seconds=seconds, conns=conns)


def run(seconds: float, conns: int, rounds: int) -> dict[str, Any]:
    tools = loadgen.ensure_tools()
    results: dict[str, list[dict[str, float]]] = {
        k: [] for k in ("raw_grpc", "raw_http", "bridge_grpc", "bridge_http")
    }
    with tempfile.TemporaryDirectory() as tmp:
        body = _grpc_body(Path(tmp))
        log = Path(tmp) / "h2load.log"
        # Alternate raw and bridge runs so drift in machine load hits both alike.
        for _ in range(rounds):
            with serve("raw-grpc") as s:
                asyncio.run(_check_grpc(s.grpc_port))
                results["raw_grpc"].append(load_grpc(tools, s.grpc_port, body, seconds, conns, log))
            with serve("raw-http") as s:
                _check_http(s.http_port)
                results["raw_http"].append(load_http(tools, s.http_port, seconds, conns))
            with serve("bridge") as s:
                asyncio.run(_check_grpc(s.grpc_port))
                _check_http(s.http_port)
                results["bridge_grpc"].append(
                    load_grpc(tools, s.grpc_port, body, seconds, conns, log)
                )
                results["bridge_http"].append(load_http(tools, s.http_port, seconds, conns))
    best = {k: max(v, key=lambda r: r["rps"]) for k, v in results.items()}
    summary: dict[str, Any] = {}
    for name, r in best.items():
        summary[f"{name}_rps"] = round(r["rps"], 1)
        summary[f"{name}_p50_ms"] = r["p50_ms"]
        summary[f"{name}_p99_ms"] = r["p99_ms"]
    summary["grpc_throughput_ratio"] = round(
        best["bridge_grpc"]["rps"] / best["raw_grpc"]["rps"], 3
    )
    summary["http_throughput_ratio"] = round(
        best["bridge_http"]["rps"] / best["raw_http"]["rps"], 3
    )
    summary["grpc_p99_ratio"] = round(best["bridge_grpc"]["p99_ms"] / best["raw_grpc"]["p99_ms"], 3)
    summary["http_p99_ratio"] = round(best["bridge_http"]["p99_ms"] / best["raw_http"]["p99_ms"], 3)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds, best kept")
    parser.add_argument(
        "--serve", choices=["raw-grpc", "raw-http", "bridge"], help=argparse.SUPPRESS
    )
    parser.add_argument("--http-port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--grpc-port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        _child(args.serve, args.http_port, args.grpc_port)
        return 0
    summary = run(args.seconds, args.connections, args.rounds)
    print(f"{'':<12}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for name in ("raw_grpc", "bridge_grpc", "raw_http", "bridge_http"):
        print(
            f"{name:<12}{summary[name + '_rps']:>10}"
            f"{summary[name + '_p50_ms']:>10}{summary[name + '_p99_ms']:>10}"
        )
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
