"""The short rollback drill end to end (its own stack, a second process for the load), and
the drill's accounting on made-up outcomes (so its zeros cannot be vacuous)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench.loadgen import free_port
from tools.drill.drill import Drill, Plan, Sample
from tools.drill.load import LoadGenerator, LoadResult, Write
from tools.drill.stack import Endpoints


def test_the_short_drill_meets_the_targets(tmp_path: Path) -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "bridge.cli", "drill", "--short", "--json", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=150, check=False,
    )  # fmt: skip
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["verdict"] == "pass", report["problems"]
    assert report["failed_requests"] == 0
    assert report["lost_writes"] == 0 and report["duplicated_writes"] == 0
    assert report["rollback_seconds"] is not None and 0 < report["rollback_seconds"] <= 5
    assert took < 120, f"the short drill took {took:.0f}s"
    # It really ran: load at the asked rate, writes counted, the fault forced fall-overs.
    assert report["requests"] > 2000 and report["writes_believed"] > 300
    assert report["fallbacks"] > 0 and report["achieved_rate"] > 150
    kinds = [event["kind"] for event in report["timeline"]]
    assert kinds.count("step") == 6
    assert kinds.index("fault") < kinds.index("rollback") < kinds.index("restore")
    assert Path(report["chart"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    full = json.loads(Path(report["report"]).read_text())
    assert full["samples"] and full["load"]["buckets"]


def _drill(tmp_path: Path) -> Drill:
    endpoints = Endpoints(
        gateway_url="http://127.0.0.1:1", engine_url="http://127.0.0.1:1",
        engine_grpc="127.0.0.1:1", flags_store="env", admin_token="a", jwt_secret="s",
    )  # fmt: skip
    return Drill(endpoints, Plan.short(), out_dir=tmp_path)


def test_lost_duplicated_and_failed_are_counted(tmp_path: Path) -> None:
    drill = _drill(tmp_path)
    drill.state.samples.append(Sample(at=0, rule="grpc", calls={}, fallbacks=3, rollbacks=[]))
    writes = [Write(user="u1", name=f"w-{i}", key=f"k{i}") for i in range(4)]
    load = LoadResult(
        run=drill.run, rate=200, started=0, stopped=10, sent=2000, ok=1998, failed=2,
        writes=writes, unconfirmed=[Write(user="u2", name="w-9", key="k9")],
    )  # fmt: skip
    # The engine holds w-0 once, w-1 twice, not w-2 or w-3; the failed w-9 got applied.
    counted = Counter({("u1", "w-0"): 1, ("u1", "w-1"): 2, ("u2", "w-9"): 1})
    rollback = {"when": 107.5, "fault_at": 100.0, "reason": "HTTP error rate"}
    report = drill._report(0.0, load, counted, rollback)
    assert (report.lost_writes, report.duplicated_writes, report.failed_requests) == (2, 1, 2)
    assert report.unconfirmed_applied == 1 and report.rollback_seconds == 7.5
    assert report.verdict == "fail"
    assert any("7.50s" in p for p in report.problems) and any("lost" in p for p in report.problems)
    clean = drill._report(0.0, load.model_copy(update={"failed": 0}),
                          Counter({("u1", f"w-{i}"): 1 for i in range(4)}),
                          {**rollback, "when": 101.0})  # fmt: skip
    assert clean.verdict == "pass" and clean.rollback_seconds == 1.0
    assert drill._report(0.0, load, counted, None).rollback_seconds is None


async def test_the_load_generator_counts_what_users_see(tmp_path: Path) -> None:
    generator = LoadGenerator(
        f"http://127.0.0.1:{free_port()}", "s" * 32, "t1", rate=100, users=5
    )  # nothing listens there: every request fails
    task = asyncio.create_task(generator.run_until_stopped(tmp_path / "ready"))
    for _ in range(200):
        if (tmp_path / "ready").exists():
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.3)
    generator.stop()
    result = await task
    assert result.warm_up == 5 and result.sent > 20
    assert result.ok == 0 and result.failed == result.sent
    assert not result.writes and len(result.unconfirmed) >= 5
    assert result.failures[0].status == 0 and "Connect" in result.failures[0].detail
    assert sum(b.sent for b in result.buckets) == result.sent
