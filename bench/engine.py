"""Engine benchmark: CRUD throughput per protocol and database, and executor overhead.

    python -m bench.engine [--seconds 3] [--backends sqlite,postgres]

1. Executor overhead: a 50-node linear and a 50-node fan-out workflow of trivial TRANSFORM
   nodes run through the engine's ExecutionManager (node runs persisted, status updates),
   wall time / 50 nodes, median of 5 runs, per database.
2. Throughput: the engine process (``bridgectl serve engine``) on SQLite and PostgreSQL,
   driven like bench.bridge (h2load for gRPC with 16 streams in flight, wrk or h2load
   --h1 for HTTP with 16 connections): GetWorkflow and ListWorkflows (20 per page) of the
   20-node fixture workflow, and CreateWorkflow of it.
3. The same GetWorkflow load against bench.bridge's trivial bridge handler (returns the
   workflow from memory), for ``get_ratio_grpc`` / ``get_ratio_http``.

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import bridge as bridge_bench
from bench import loadgen
from bench.fixtures import load_workflow

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
PG_BENCH_DB = "bench_engine"
USER = "bench-user"


def _workflow(nodes: int, fan_out: bool) -> dict[str, Any]:
    items: list[dict[str, Any]] = [
        {
            "id": "t",
            "name": "T",
            "type": "TRIGGER",
            "subtype": "MANUAL",
            "position": {"x": 0, "y": 0},
        }
    ]
    connections: dict[str, Any] = {}
    for i in range(nodes - 1):
        items.append(
            {"id": f"n{i}", "name": f"N{i}", "type": "TRANSFORM", "position": {"x": 0, "y": 0},
             "parameters": {"target": f"f{i}", "expression": "{{ 1 }}"}}
        )  # fmt: skip
        source = "t" if (fan_out or i == 0) else f"n{i - 1}"
        connections.setdefault(source, {"main": []})["main"].append(
            {"node": f"n{i}", "type": "main"}
        )
    return {"name": "bench", "nodes": items, "connections": connections}


async def _fresh_pg_database() -> str:
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
    await admin.execute(f"CREATE DATABASE {PG_BENCH_DB}")
    await admin.close()
    return f"postgresql://postgres@127.0.0.1:5432/{PG_BENCH_DB}"


async def executor_overhead(backend: str, runs: int = 5) -> dict[str, float]:
    from contract import models as m
    from services.engine.executor import Executor
    from services.engine.runs import ExecutionManager
    from services.engine.storage import create_store
    from services.llm import OfflineProvider

    url = await _fresh_pg_database() if backend == "postgres" else None
    store = create_store(url, data_dir=Path(tempfile.mkdtemp()))
    await store.open()
    out: dict[str, float] = {}
    async with httpx.AsyncClient() as client:
        manager = ExecutionManager(store, Executor(http=client, llm=OfflineProvider()))
        for shape, fan_out in (("linear", False), ("fanout", True)):
            workflow = await store.create_workflow(
                USER, m.Workflow.model_validate(_workflow(50, fan_out))
            )
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                execution = await manager.start(
                    USER, workflow, mode=m.ExecutionMode.MANUAL, trigger_data={}
                )
                for _ in range(100_000):  # poll: the manager runs executions as tasks
                    if not manager.running:
                        break
                    await asyncio.sleep(0.001)
                times.append((time.perf_counter() - start) * 1000 / 50)
                final = await store.get_execution(USER, execution.id)
                assert final is not None and final.status is m.ExecutionStatus.SUCCESS
                assert len(final.run_data) == 50, "every node run persisted"
            out[shape] = round(statistics.median(times), 3)
    await store.close()
    return out


def _engine(backend: str, database_url: str | None, data_dir: Path) -> loadgen.ServerProcess:
    http_port, grpc_port = loadgen.free_port(), loadgen.free_port()
    env = {"PORT": str(http_port), "GRPC_PORT": str(grpc_port), "DATA_DIR": str(data_dir),
           "LOG_LEVEL": "WARNING"}  # fmt: skip
    if database_url:
        env["DATABASE_URL"] = database_url
    return loadgen.ServerProcess(
        ["-m", "bridge.cli", "serve", "engine"], http_port=http_port, grpc_port=grpc_port, env=env
    )


def _frame(message: Any, tmp: Path, name: str) -> Path:
    return loadgen.grpc_frame(message.SerializeToString(), tmp, name)


def engine_throughput(
    tools: dict[str, str], backend: str, seconds: float, conns: int, tmp: Path
) -> dict[str, float]:
    from contract import models as m
    from contract.binding import converter
    from contract.engine.v1 import engine_pb2

    url = asyncio.run(_fresh_pg_database()) if backend == "postgres" else None
    fixture = load_workflow(20)
    create = {k: fixture[k] for k in ("name", "description", "nodes", "connections", "settings",
                                      "static_data", "tags")}  # fmt: skip
    create["user_id"] = USER
    (tmp / "create.json").write_text(json.dumps(create))
    create_frame = _frame(
        converter().to_proto(
            m.CreateWorkflowRequest.model_validate(create), engine_pb2.CreateWorkflowRequest
        ),
        tmp, "create.bin",
    )  # fmt: skip
    grpc_headers = ("content-type: application/grpc", "te: trailers")
    log = tmp / "h2load.log"
    out: dict[str, float] = {}
    with _engine(backend, url, tmp / f"data-{backend}") as server:
        base = f"http://127.0.0.1:{server.http_port}"
        ids = [httpx.post(f"{base}/v1/workflows", json=create, timeout=10).json()["workflow"]["id"]
               for _ in range(20)]  # fmt: skip
        get_frame = _frame(
            engine_pb2.GetWorkflowRequest(workflow_id=ids[0], user_id=USER), tmp, "get.bin"
        )
        list_frame = _frame(
            engine_pb2.ListWorkflowsRequest(user_id=USER, limit=20), tmp, "list.bin"
        )
        grpc_url = f"http://127.0.0.1:{server.grpc_port}/contract.engine.v1.WorkflowService"

        def grpc(method: str, body: Path) -> dict[str, float]:
            return loadgen.h2load(
                tools, f"{grpc_url}/{method}", seconds=seconds, conns=conns, log=log, body=body,
                headers=grpc_headers,
            )  # fmt: skip

        def http_get(path: str) -> dict[str, float]:
            return loadgen.wrk(tools, f"{base}{path}", seconds=seconds, conns=conns)

        def http_create() -> dict[str, float]:
            return loadgen.h2load(
                tools, f"{base}/v1/workflows", seconds=seconds, conns=conns, log=log,
                body=tmp / "create.json", headers=("content-type: application/json",), http1=True,
            )  # fmt: skip

        runs: dict[str, Callable[[], dict[str, float]]] = {
            "get_grpc": lambda: grpc("GetWorkflow", get_frame),
            "get_http": lambda: http_get(f"/v1/workflows/{ids[0]}?user_id={USER}"),
            "list_grpc": lambda: grpc("ListWorkflows", list_frame),
            "list_http": lambda: http_get(f"/v1/workflows?user_id={USER}&limit=20"),
            "create_grpc": lambda: grpc("CreateWorkflow", create_frame),
            "create_http": http_create,
        }
        for name, run in runs.items():
            out[f"{backend}_{name}_rps"] = round(run()["rps"], 1)
        listed = httpx.get(f"{base}/v1/workflows", params={"user_id": USER, "limit": 1}).json()
        assert listed["total_count"] > 20, "creates under load were stored"
    return out


def trivial_get(tools: dict[str, str], seconds: float, conns: int, tmp: Path) -> dict[str, float]:
    body = bridge_bench._grpc_body(tmp)
    with bridge_bench.serve("bridge") as server:
        asyncio.run(bridge_bench._check_grpc(server.grpc_port))
        grpc = bridge_bench.load_grpc(tools, server.grpc_port, body, seconds, conns, tmp / "t.log")
        http = bridge_bench.load_http(tools, server.http_port, seconds, conns)
    return {
        "trivial_get_grpc_rps": round(grpc["rps"], 1),
        "trivial_get_http_rps": round(http["rps"], 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args(argv)
    backends = [b for b in args.backends.split(",") if b]
    tools = loadgen.ensure_tools()
    summary: dict[str, float] = {}
    per_node: list[float] = []
    for backend in backends:
        overhead = asyncio.run(executor_overhead(backend))
        for shape, value in overhead.items():
            summary[f"{backend}_{shape}_ms_per_node"] = value
            per_node.append(value)
        print(f"executor overhead on {backend}: {overhead} ms per node")
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        summary.update(trivial_get(tools, args.seconds, args.connections, tmp))
        for backend in backends:
            numbers = engine_throughput(tools, backend, args.seconds, args.connections, tmp)
            summary.update(numbers)
            print(f"throughput on {backend}: {numbers}")
    summary["overhead_ms_per_node"] = max(per_node)
    first = backends[0]
    summary["get_ratio_grpc"] = round(
        summary[f"{first}_get_grpc_rps"] / summary["trivial_get_grpc_rps"], 3
    )
    summary["get_ratio_http"] = round(
        summary[f"{first}_get_http_rps"] / summary["trivial_get_http_rps"], 3
    )
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
