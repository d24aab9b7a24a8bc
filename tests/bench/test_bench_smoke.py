"""The benchmarks still run and print their JSON summary (timings are not asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys


def test_converter_benchmark_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bench.converter", "--rounds", "1", "--budget", "0.02"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(summary) >= {
        "to_proto_us",
        "from_proto_us",
        "json_format_to_proto_us",
        "json_format_from_proto_us",
        "hand_to_proto_us",
        "hand_from_proto_us",
    }
    assert all(value > 0 for value in summary.values())


def test_agent_benchmark_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bench.agent", "--iterations", "100", "--warmup", "5"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    lines = out.stdout.strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["validate_nodes"] == 50
    for where in ("in_process", "grpc", "http"):
        for op in ("validate", "generate"):
            assert summary[f"{where}_{op}_p50_ms"] > 0
            assert summary[f"{where}_{op}_p99_ms"] >= summary[f"{where}_{op}_p50_ms"]
    assert summary["validate_p50_ms"] == max(summary["grpc_validate_p50_ms"],
                                             summary["http_validate_p50_ms"])  # fmt: skip
    assert summary["generate_p50_ms"] == max(summary["grpc_generate_p50_ms"],
                                             summary["http_generate_p50_ms"])  # fmt: skip
    assert any(line.startswith("grpc ") for line in lines)  # the readable table
