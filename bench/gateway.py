"""Gateway benchmark: one public route end to end through each transport.

    python -m bench.gateway [--seconds 3]

The engine and the gateway each run in their own process (``bridgectl serve``); wrk drives
``GET /api/app/workflows/{id}`` (the 20-node fixture) on the gateway at 1 and 16
connections, once with the flag sending the engine calls over gRPC and once over HTTP
(the flag file is switched between runs), and the engine's own route directly at 1
connection for the gateway's overhead. Last line: one JSON object with
``http_vs_grpc_throughput_c16``, ``http_p50_c1_ms``, ``grpc_p50_c1_ms``,
``gateway_overhead_p50_ms`` and ``flag_eval_us``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import httpx

from bench import loadgen
from bench.fixtures import load_workflow
from bench.flags import measure as flag_eval
from feature_flags import FlagSet

KEY = "bench-key"
USER = "bench-user"


def _switch(flags_file: Path, transport: str) -> None:
    flags_file.write_text(json.dumps({"services": {"workflow_engine": transport}}))
    time.sleep(0.6)  # the gateway re-reads the file every 0.25 s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args(argv)
    tools = loadgen.ensure_tools()
    auth = (f"authorization: Bearer {KEY}",)
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        flags_file = tmp / "flags.json"
        flags_file.write_text("{}")
        engine_http, engine_grpc, gateway_port = (loadgen.free_port() for _ in range(3))
        engine_env = {"PORT": str(engine_http), "GRPC_PORT": str(engine_grpc),
                      "DATA_DIR": str(tmp / "db"), "LOG_LEVEL": "WARNING"}  # fmt: skip
        gateway_env = {
            "PORT": str(gateway_port), "WORKFLOW_ENGINE_URL": f"http://127.0.0.1:{engine_http}",
            "WORKFLOW_ENGINE_GRPC": f"127.0.0.1:{engine_grpc}", "FLAGS_STORE": f"file:{flags_file}",
            "API_KEYS": f"{KEY}:{USER}", "LOG_LEVEL": "WARNING",
        }  # fmt: skip
        serve = ["-m", "bridge.cli", "serve"]
        engine = loadgen.ServerProcess(
            [*serve, "engine"], http_port=engine_http, grpc_port=engine_grpc, env=engine_env
        )
        front = loadgen.ServerProcess([*serve, "gateway"], http_port=gateway_port, env=gateway_env)
        with engine, front:
            gateway = f"http://127.0.0.1:{gateway_port}"
            fixture = load_workflow(20)
            body = {k: fixture[k] for k in ("name", "nodes", "connections", "settings", "tags")}
            created = httpx.post(
                f"{gateway}/api/app/workflows",
                json=body,
                headers={"authorization": f"Bearer {KEY}"},
                timeout=10,
            )
            workflow_id = created.json()["workflow"]["id"]
            route = f"{gateway}/api/app/workflows/{workflow_id}"
            for transport in ("grpc", "http"):
                _switch(flags_file, transport)
                for conns in (1, 16):
                    result = loadgen.wrk(
                        tools, route, seconds=args.seconds, conns=conns, headers=auth
                    )
                    out[f"{transport}_c{conns}_rps"] = round(result["rps"], 1)
                    out[f"{transport}_c{conns}_p50_ms"] = result["p50_ms"]
            direct = loadgen.wrk(
                tools, f"http://127.0.0.1:{engine_http}/v1/workflows/{workflow_id}?user_id={USER}",
                seconds=args.seconds, conns=1,
            )  # fmt: skip
            out["engine_direct_c1_p50_ms"] = direct["p50_ms"]
    out["http_vs_grpc_throughput_c16"] = round(out["http_c16_rps"] / out["grpc_c16_rps"], 3)
    out["http_p50_c1_ms"] = out["http_c1_p50_ms"]
    out["grpc_p50_c1_ms"] = out["grpc_c1_p50_ms"]
    out["gateway_overhead_p50_ms"] = round(
        out["http_c1_p50_ms"] - out["engine_direct_c1_p50_ms"], 3
    )
    out["flag_eval_us"] = flag_eval(FlagSet(services={"workflow_engine": "http:25+shadow"}))
    for transport in ("grpc", "http"):
        c1, p50 = out[f"{transport}_c1_rps"], out[f"{transport}_c1_p50_ms"]
        print(
            f"via {transport}: c1 {c1} req/s p50 {p50} ms; c16 {out[f'{transport}_c16_rps']} req/s"
        )
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
