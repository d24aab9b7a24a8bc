"""The replay report for people: a rich table per RPC, then each mismatch in detail."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from tools.parity.replay import CANDIDATE, CONTROL, ReplayReport

MAX_VALUE = 60


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def render(report: ReplayReport, console: Console) -> None:
    table = Table(title=f"parity replay {report.run}: {CONTROL} vs {CANDIDATE}")
    for column in ("rpc", "calls", "matches", "mismatches", "drift", "first difference"):
        table.add_column(column, justify="right" if column in {"calls", "matches"} else "left")
    for s in report.methods():
        first = (
            ""
            if s.first is None
            else f"{s.first.path}: {_short(s.first.left)} != {_short(s.first.right)}"
        )
        style = "red" if s.mismatches else None
        table.add_row(
            s.rpc.rsplit(".", 1)[-1], str(s.calls), str(s.matches), str(s.mismatches),
            str(s.drifted), first, style=style,
        )  # fmt: skip
    console.print(table)
    for outcome in report.outcomes:
        if outcome.matched:
            continue
        console.print(f"[red]#{outcome.seq} {outcome.method}[/red] {outcome.note}")
        for d in outcome.differences[:10]:
            console.print(f"  {d.path}: {CONTROL}={_short(d.left)} {CANDIDATE}={_short(d.right)}")
    for outcome in report.outcomes:
        if outcome.drift:
            codes = ", ".join(f"{lane}={outcome.answers[lane].code}" for lane in outcome.drift)
            console.print(
                f"[yellow]#{outcome.seq} {outcome.method} drifted from the recording "
                f"({codes})[/yellow] {outcome.note}"
            )
    noisy = sum(len(paths) for paths in report.noise.values())
    verdict = (
        "[green]no mismatches[/green]"
        if not report.mismatches
        else f"[red]{report.mismatches} mismatched calls[/red]"
    )
    console.print(
        f"{len(report.outcomes)} calls replayed on both protocols in {report.seconds:.1f}s: "
        f"{verdict}; {report.drifted} drifted; {noisy} noisy fields learnt"
    )
