"""``bridgectl parity``: replay a recorded corpus on both protocols and diff the answers.

Exit codes: 0 no mismatch; 1 a real mismatch (or drift with ``--strict``); 2 the corpus
or the targets could not be used.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from gateway.capture import read_corpus
from tools.parity.replay import IGNORED, Replay, ReplayReport, Targets
from tools.parity.report import render

app = typer.Typer(help="Replay recorded calls on both protocols and compare.", no_args_is_help=True)


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


@app.command()
def replay(
    corpus: Annotated[list[Path], typer.Argument(help="JSONL corpus file(s), replayed in order")],
    engine_url: Annotated[
        str, typer.Option(help="engine HTTP base URL (default WORKFLOW_ENGINE_URL)")
    ] = "",
    engine_grpc: Annotated[
        str, typer.Option(help="engine gRPC host:port (default WORKFLOW_ENGINE_GRPC)")
    ] = "",
    agent_url: Annotated[
        str, typer.Option(help="agent HTTP base URL (default WORKFLOW_AGENT_URL)")
    ] = "",
    agent_grpc: Annotated[
        str, typer.Option(help="agent gRPC host:port (default WORKFLOW_AGENT_GRPC)")
    ] = "",
    ignore: Annotated[
        list[str] | None, typer.Option("--ignore", help="extra key or full path to ignore")
    ] = None,
    max_gap: Annotated[
        float, typer.Option(help="longest pause kept between recorded calls (s)")
    ] = 1.0,
    strict: Annotated[
        bool, typer.Option(help="also fail when a replay drifts from the recording")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Replay CORPUS on gRPC twice (noise) and on HTTP; report per RPC; exit 1 on mismatch."""
    # Wide enough for the table even when the output is not a terminal (CI logs).
    console = Console(stderr=as_json, width=max(Console().width, 140))
    try:
        records = [record for path in corpus for record in read_corpus(path)]
    except (OSError, ValueError) as exc:
        console.print(f"[red]{exc}")
        raise typer.Exit(2) from None
    targets = Targets.of(
        {
            "contract.engine.v1": (
                engine_grpc or _env("WORKFLOW_ENGINE_GRPC", "127.0.0.1:50050"),
                engine_url or _env("WORKFLOW_ENGINE_URL", "http://127.0.0.1:8002"),
            ),
            "contract.agent.v1": (
                agent_grpc or _env("WORKFLOW_AGENT_GRPC", "127.0.0.1:50051"),
                agent_url or _env("WORKFLOW_AGENT_URL", "http://127.0.0.1:8001"),
            ),
        }
    )
    token = os.environ.get("SERVICE_TOKEN") or None
    runner = Replay(
        targets, ignore=IGNORED | set(ignore or ()), max_gap_seconds=max_gap, service_token=token
    )

    async def main() -> ReplayReport:
        try:
            return await runner.run(records)
        finally:
            await runner.aclose()

    try:
        report = asyncio.run(main())
    except (LookupError, ValueError) as exc:
        console.print(f"[red]{exc}")
        raise typer.Exit(2) from None
    render(report, console)
    if as_json:
        typer.echo(json.dumps(report.to_json()))
    if report.mismatches or (strict and report.drifted):
        raise typer.Exit(1)
