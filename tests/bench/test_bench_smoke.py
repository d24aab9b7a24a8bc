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
