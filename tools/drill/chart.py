"""The drill's PNG: traffic share per protocol and error rates over time, events marked."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display, no GUI toolkit

import matplotlib.pyplot as plt

from tools.drill.drill import DrillReport

COLORS = {"fault": "tab:red", "rollback": "tab:green", "restore": "tab:blue", "step": "0.6"}


def draw(report: DrillReport, path: Path) -> Path:
    t0 = report.started
    samples = report.samples
    times, http_share, grpc_share, fallover = [], [], [], []
    for before, after in pairwise(samples):
        grpc_calls = after.calls.get("grpc", 0) - before.calls.get("grpc", 0)
        http_calls = after.calls.get("http", 0) - before.calls.get("http", 0)
        total = grpc_calls + http_calls
        if total <= 0:
            continue
        times.append(after.at - t0)
        http_share.append(100 * http_calls / total)
        grpc_share.append(100 * grpc_calls / total)
        fallover.append(100 * (after.fallbacks - before.fallbacks) / total)
    seconds, user_errors = [], []
    if report.load is not None:
        for bucket in report.load.buckets:
            if bucket.sent:
                seconds.append(bucket.second + 0.5 - t0)
                user_errors.append(100 * bucket.failed / bucket.sent)
    figure, (share, errors) = plt.subplots(2, 1, figsize=(11, 6.5), sharex=True)
    share.stackplot(times, grpc_share, http_share, labels=["gRPC", "HTTP"],
                    colors=["tab:purple", "tab:orange"], alpha=0.8)  # fmt: skip
    share.set_ylabel("engine calls served (%)")
    share.set_ylim(0, 100)
    share.legend(loc="upper left")
    errors.plot(times, fallover, color="tab:red", label="HTTP calls failed over to gRPC (%)")
    errors.plot(seconds, user_errors, color="black", marker=".", label="user requests failed (%)")
    errors.set_ylabel("error rate (%)")
    errors.set_ylim(bottom=0, top=max(5.0, *fallover, *user_errors) * 1.1)
    errors.set_xlabel("seconds since the drill started")
    errors.legend(loc="upper right")
    for event in report.timeline:
        if event.kind not in COLORS:
            continue
        x = event.at - t0
        for axis in (share, errors):
            axis.axvline(x, color=COLORS[event.kind], linestyle="--", linewidth=1)
        if event.kind != "step":
            share.annotate(event.kind, (x, 96), rotation=90, fontsize=8, va="top",
                           color=COLORS[event.kind])  # fmt: skip
        else:
            share.annotate(event.what.rsplit("= ", 1)[-1], (x, 2), fontsize=7, color="0.3")
    verdict = report.verdict.upper()
    seconds_text = "n/a" if report.rollback_seconds is None else f"{report.rollback_seconds:.2f}s"
    share.set_title(
        f"rollback drill: {verdict} - fault to rollback {seconds_text}, "
        f"{report.failed_requests} failed requests, {report.lost_writes} lost, "
        f"{report.duplicated_writes} duplicated writes"
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
