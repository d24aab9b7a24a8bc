"""``bridgectl lb``: status, shift (ALB weights in steps), switch (NLB), rollback.

The managed routes come from the Terraform output ``lb_cutover`` (``--config`` or
``BRIDGECTL_LB_CONFIG``); AWS credentials and region come from the usual boto3 sources,
``--endpoint-url`` (or ``AWS_ENDPOINT_URL``) points at another elbv2 endpoint (moto in the
tests). Exit codes: 0 done, 1 stopped (health, read-back), 2 refused (bad input, nothing
changed).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from infra.lb.balancer import Cutover, CutoverError, NotManaged, RouteStatus
from infra.lb.config import CutoverConfig, Route
from infra.lb.weights import WeightError, encode

app = typer.Typer(
    help="Load-balancer cutover: ALB weights in steps, NLB target swaps, rollback.",
    no_args_is_help=True,
)
err = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", help="the `terraform output -json lb_cutover` file (BRIDGECTL_LB_CONFIG)"
    ),
]
EndpointOption = Annotated[
    str | None, typer.Option("--endpoint-url", help="elbv2 endpoint (AWS_ENDPOINT_URL)")
]
ServiceOption = Annotated[str, typer.Option("--service", help="engine | agent")]
ListenerOption = Annotated[
    str | None,
    typer.Option("--listener", help="refuse unless this is the managed listener (ARN)"),
]
MinHealthy = Annotated[
    int,
    typer.Option(
        "--min-healthy-percent",
        min=1,
        max=100,
        help="share of a group's targets that must be healthy before it gets traffic",
    ),
]


def _cutover(config: Path | None, endpoint_url: str | None) -> Cutover:
    path = config or (Path(p) if (p := os.environ.get("BRIDGECTL_LB_CONFIG")) else None)
    if path is None:
        raise typer.BadParameter(
            "no cutover config: pass --config or set BRIDGECTL_LB_CONFIG "
            "(terraform -chdir=infra/terraform output -json lb_cutover > cutover.json)"
        )
    try:
        parsed = CutoverConfig.load(path)
    except (OSError, ValueError, ValidationError) as exc:
        raise typer.BadParameter(f"{path}: {exc}") from None
    import boto3  # the `lb` extra; imported here so `bridgectl` starts without it

    client = boto3.client(
        "elbv2",
        region_name=parsed.region or os.environ.get("AWS_REGION") or None,
        endpoint_url=endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None,
    )
    return Cutover(
        client, parsed, echo=lambda line: err.print(line, highlight=False, soft_wrap=True)
    )


def _fail(exc: Exception) -> typer.Exit:
    bad_input = isinstance(exc, NotManaged | WeightError)
    err.print(
        f"[red]{'refused' if bad_input else 'stopped'}:[/red] {exc}",
        highlight=False,
        soft_wrap=True,
    )
    if bad_input:
        err.print("no change was made", highlight=False)
    return typer.Exit(2 if bad_input else 1)


@app.command()
def status(
    config: ConfigOption = None,
    endpoint_url: EndpointOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable")] = False,
) -> None:
    """Weights, target health and last known good of every managed route."""
    try:
        rows = _cutover(config, endpoint_url).status()
    except CutoverError as exc:
        raise _fail(exc) from None
    if as_json:
        typer.echo(json.dumps([_as_dict(row) for row in rows], indent=2))
        return
    table = Table(title="managed routes")
    for column in ("service", "route", "weights", "health", "last known good"):
        table.add_column(column)
    for row in rows:
        health = ", ".join(f"{g.color} {g.healthy}/{g.total}" for g in row.health)
        table.add_row(row.service, row.route.value, encode(row.weights), health, row.last_good)
    Console(width=max(Console().width, 120)).print(table)


def _as_dict(row: RouteStatus) -> dict[str, object]:
    return {
        "service": row.service,
        "route": row.route.value,
        "weights": row.weights,
        "health": {g.color: dict(g.states) for g in row.health},
        "last_good": row.last_good,
    }


@app.command()
def shift(
    service: ServiceOption,
    http_weight: Annotated[
        int | None,
        typer.Option("--http-weight", help="0..100: % of HTTP traffic to --to (internal ALB)"),
    ] = None,
    grpc_weight: Annotated[
        int | None,
        typer.Option("--grpc-weight", help="0..100: % of ALB gRPC traffic to --to"),
    ] = None,
    to: Annotated[str, typer.Option("--to", help="target group colour that gets N %")] = "green",
    step: Annotated[int, typer.Option("--step", min=1, max=100, help="points per step")] = 10,
    pause: Annotated[float, typer.Option("--pause", min=0, help="seconds between steps")] = 30.0,
    min_healthy_percent: MinHealthy = 100,
    listener: ListenerOption = None,
    config: ConfigOption = None,
    endpoint_url: EndpointOption = None,
) -> None:
    """Move N % of a service's traffic to --to, in steps, checking target health first.

    The ALB weights written are exactly {to: N, other: 100 - N}.
    """
    if (http_weight is None) == (grpc_weight is None):
        raise typer.BadParameter("give exactly one of --http-weight N or --grpc-weight N")
    if http_weight is not None:
        route, percent, flag = Route.HTTP, http_weight, "--http-weight"
    else:
        assert grpc_weight is not None
        route, percent, flag = Route.GRPC, grpc_weight, "--grpc-weight"
    if not 0 <= percent <= 100:
        raise _fail(WeightError(f"{flag} is a percentage 0..100, got {percent}"))
    cutover = _cutover(config, endpoint_url)
    try:
        report = cutover.shift(
            service,
            route,
            to=to,
            percent=percent,
            step=step,
            pause=pause,
            min_healthy_percent=min_healthy_percent,
            listener_arn=listener,
        )
    except (CutoverError, WeightError) as exc:
        raise _fail(exc) from None
    typer.echo(f"{service}/{route.value}: {encode(report.now)}")


@app.command()
def switch(
    service: ServiceOption,
    to: Annotated[str, typer.Option("--to", help="target group colour to forward to")],
    min_healthy_percent: MinHealthy = 100,
    listener: ListenerOption = None,
    config: ConfigOption = None,
    endpoint_url: EndpointOption = None,
) -> None:
    """Point a service's NLB (gRPC) listener at another target group, atomically."""
    cutover = _cutover(config, endpoint_url)
    try:
        weights = cutover.switch(
            service, to=to, min_healthy_percent=min_healthy_percent, listener_arn=listener
        )
    except (CutoverError, WeightError) as exc:
        raise _fail(exc) from None
    typer.echo(f"{service}/nlb: {encode(weights)}")


@app.command()
def rollback(
    service: ServiceOption,
    route: Annotated[Route, typer.Option("--route", help="http | grpc | nlb")] = Route.HTTP,
    listener: ListenerOption = None,
    config: ConfigOption = None,
    endpoint_url: EndpointOption = None,
) -> None:
    """Restore the weights recorded before the last shift or switch, exactly."""
    cutover = _cutover(config, endpoint_url)
    try:
        weights = cutover.rollback(service, route, listener)
    except (CutoverError, WeightError) as exc:
        raise _fail(exc) from None
    typer.echo(f"{service}/{route.value}: {encode(weights)}")
