"""``bridgectl drill``: the rollback drill (see tools/drill/drill.py for the sequence).

Without URLs it starts its own engine and gateway on free ports. Exit code 0 when every
target is met, 1 when not, 2 when the drill could not run. ``--json`` prints the report
(without the raw samples, which are in the report file) as the last line of stdout.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tools.drill.drill import Drill, DrillReport, Event, Plan
from tools.drill.stack import Endpoints, StackOptions, own_stack

app = typer.Typer(help="Rollback drill: walk the cutover under load, break HTTP, time the way back")
STYLE = {
    "fault": "red",
    "rollback": "green",
    "restore": "blue",
    "problem": "bold red",
    "lb-fault": "red",
    "lb-rollback": "green",
}


@contextlib.contextmanager
def _endpoints(
    gateway_url: str, engine_grpc: str, engine_url: str, flags_store: str, options: StackOptions
) -> Iterator[Endpoints]:
    if not gateway_url:
        with own_stack(options) as endpoints:
            yield endpoints
        return
    missing = [
        name
        for name, value in (
            ("--engine-grpc", engine_grpc),
            ("--flags-store / FLAGS_STORE", flags_store),
            ("ADMIN_TOKEN", os.environ.get("ADMIN_TOKEN")),
            ("JWT_SECRET", os.environ.get("JWT_SECRET")),
        )
        if not value
    ]
    if missing:
        raise typer.BadParameter(f"a given stack also needs {', '.join(missing)}")
    yield Endpoints(
        gateway_url=gateway_url,
        engine_url=engine_url,
        engine_grpc=engine_grpc,
        flags_store=flags_store,
        admin_token=os.environ["ADMIN_TOKEN"],
        jwt_secret=os.environ["JWT_SECRET"],
        service_token=os.environ.get("SERVICE_TOKEN") or None,
    )


@app.callback(invoke_without_command=True)
def drill(
    short: Annotated[bool, typer.Option("--short", help="the under-2-minute version")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    lb: Annotated[
        bool, typer.Option("--lb", help="also drill the load-balancer path (moto elbv2)")
    ] = False,
    gateway_url: Annotated[
        str, typer.Option(help="a running gateway (else the drill starts its own stack)")
    ] = "",
    engine_grpc: Annotated[str, typer.Option(help="its engine's gRPC host:port")] = "",
    engine_url: Annotated[str, typer.Option(help="its engine's HTTP base URL")] = "",
    flags_store: Annotated[
        str,
        typer.Option(help="flag store the gateway reads (own stack: a temp file by default)"),
    ] = "",
    database_url: Annotated[
        str, typer.Option(help="own stack: the engine's DATABASE_URL (default: temp SQLite)")
    ] = "",
    rate: Annotated[float, typer.Option(help="requests per second")] = 200.0,
    users: Annotated[int, typer.Option(help="distinct users (sticky percentage buckets)")] = 100,
    out: Annotated[Path | None, typer.Option(help="where report.json and chart.png go")] = None,
) -> None:
    """Walk 0 -> 10 -> 50 -> 100% HTTP under load, switch the engine's HTTP listener off,
    verify the automatic rollback, restore and walk forward again."""
    console = Console(stderr=as_json, width=max(Console().width, 120))
    base = Plan.short() if short else Plan()
    plan = Plan(
        steps=base.steps, step_seconds=base.step_seconds,
        fault_hold_seconds=base.fault_hold_seconds,
        restored_hold_seconds=base.restored_hold_seconds, rate=rate, users=users,
    )  # fmt: skip
    out_dir = out or Path(".data") / "drill" / time.strftime("%Y%m%d-%H%M%S")
    out_dir.mkdir(parents=True, exist_ok=True)
    options = StackOptions(
        database_url=database_url or None, flags_store=flags_store or None, log_dir=out_dir
    )
    runner: Drill | None = None

    def show(event: Event) -> None:
        t = event.at - (runner.started if runner is not None else event.at)
        style = STYLE.get(event.kind, "")
        console.print(f"[{style}]{t:7.2f}s  {event.what}[/{style}]" if style
                      else f"{t:7.2f}s  {event.what}")  # fmt: skip

    flags = flags_store or os.environ.get("FLAGS_STORE", "")
    try:
        with _endpoints(gateway_url, engine_grpc, engine_url, flags, options) as endpoints:
            console.print(f"drill against {endpoints.gateway_url} (engine {endpoints.engine_grpc})")
            runner = Drill(endpoints, plan, out_dir=out_dir, on_event=show)
            report = asyncio.run(runner.execute())
    except (RuntimeError, OSError) as exc:
        console.print(f"[red]the drill could not run: {exc}")
        raise typer.Exit(2) from None
    if lb:
        _lb_part(report, show, console)
    from tools.drill.chart import draw  # matplotlib is imported only when drawing

    report.chart = str(draw(report, out_dir / "chart.png"))
    report.report = str(out_dir / "report.json")
    Path(report.report).write_text(report.model_dump_json(indent=1))
    _render(report, console)
    if as_json:
        typer.echo(report.model_dump_json(exclude={"samples", "load"}))
    if report.verdict != "pass":
        raise typer.Exit(1)


def _lb_part(report: DrillReport, show: Callable[[Event], None], console: Console) -> None:
    try:
        from tools.drill.lb import run_lb_drill
    except ImportError as exc:  # moto/boto3 are in the dev install and the `lb` extra
        console.print(f"[red]--lb needs the dev install (moto[server], boto3): {exc}")
        raise typer.Exit(2) from None

    def event(what: str, kind: str) -> None:
        item = Event(at=time.time(), what=what, kind=f"lb-{kind}")  # not drawn on the chart
        report.timeline.append(item)
        show(item)

    result = run_lb_drill(event)
    report.lb = result.model_dump()
    if result.verdict != "pass":
        report.problems += [f"lb: {problem}" for problem in result.problems]
        report.verdict = "fail"
    elif result.rollback_seconds is not None and result.rollback_seconds > 5:
        report.problems.append(f"lb: rollback took {result.rollback_seconds:.2f}s")
        report.verdict = "fail"


def _render(report: DrillReport, console: Console) -> None:
    timeline = Table(title="timeline")
    timeline.add_column("t (s)", justify="right")
    timeline.add_column("event")
    for event in report.timeline:
        style = STYLE.get(event.kind)
        timeline.add_row(f"{event.at - report.started:.2f}", event.what, style=style)
    console.print(timeline)
    results = Table(title="results")
    for column in ("measure", "value", "target"):
        results.add_column(column)
    seconds = "none" if report.rollback_seconds is None else f"{report.rollback_seconds:.2f}"
    rows = [
        ("fault -> full rollback (s)", seconds, "<= 5"),
        ("failed user requests", str(report.failed_requests), "0"),
        ("lost writes", str(report.lost_writes), "0"),
        ("duplicated writes", str(report.duplicated_writes), "0"),
        ("requests sent", str(report.requests), ""),
        ("rate (req/s)", f"{report.achieved_rate} of {report.target_rate:g}", ""),
        ("writes confirmed / counted", str(report.writes_believed), ""),
        ("fall-overs to gRPC", str(report.fallbacks), ""),
    ]
    if report.lb is not None:
        lb_seconds = report.lb["rollback_seconds"]
        shown = "none" if lb_seconds is None else f"{lb_seconds:.2f}"
        rows.append(("lb: green unhealthy -> weights back (s)", shown, "<= 5"))
    for row in rows:
        results.add_row(*row)
    console.print(results)
    if report.rollback_reason:
        console.print(f"rollback reason: {report.rollback_reason}")
    for problem in report.problems:
        console.print(f"[red]- {problem}")
    colour = "green" if report.verdict == "pass" else "red"
    console.print(f"[bold {colour}]verdict: {report.verdict.upper()}[/]  chart: {report.chart}")
    console.print(f"report: {report.report} (the drill took {report.seconds:.0f}s)")
