"""bridgectl: run one service, or the whole stack, of a bridge-based platform.

Services register themselves under the ``bridge.services`` entry-point group (see
pyproject.toml) as a zero-argument factory returning a ``BridgeServer`` (or any object
with ``async run()``); bridge itself never imports them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from importlib.metadata import EntryPoint, entry_points
from typing import Annotated, Any, Protocol

import httpx
import typer
from rich.console import Console
from rich.table import Table

from bridge.logs import configure_logging

GROUP = "bridge.services"
app = typer.Typer(help="Run the dual-protocol services.", no_args_is_help=True)
console = Console(stderr=True)


class Runnable(Protocol):
    async def run(self) -> None: ...


def registered() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def _factory(name: str) -> Callable[[], Runnable]:
    services = registered()
    if name not in services:
        known = ", ".join(sorted(services)) or "none registered"
        raise typer.BadParameter(f"unknown service {name!r} (known: {known})")
    factory: Callable[[], Runnable] = services[name].load()
    return factory


def _run_loop(main: Any) -> None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
        asyncio.run(main)
    else:
        uvloop.run(main)


@app.command()
def serve(name: Annotated[str, typer.Argument(help="service to run, e.g. engine")]) -> None:
    """Run one service with the listeners PROTOCOLS names (default: gRPC and HTTP)."""
    configure_logging(os.environ.get("LOG_LEVEL", "INFO"), os.environ.get("LOG_FORMAT", "json"))
    server = _factory(name)()
    _run_loop(server.run())


@app.command("list")
def list_services() -> None:
    """Show the registered services."""
    for name, ep in sorted(registered().items()):
        typer.echo(f"{name}\t{ep.value}")


@app.command()
def up(
    only: Annotated[
        list[str] | None, typer.Option("--only", help="start only these services")
    ] = None,
    timeout: Annotated[float, typer.Option(help="seconds to wait for health")] = 60.0,
) -> None:
    """Start the whole stack (one process per service), wait for health, print the URLs;
    Ctrl-C stops everything cleanly."""
    from bridge.stack import plan_stack

    names = only or sorted(registered())
    if not names:
        console.print("[red]no services are registered (entry points 'bridge.services')")
        raise typer.Exit(1)
    plan = plan_stack(names)
    with _processes(plan.commands, plan.env) as procs:
        try:
            _wait_healthy(plan.health_urls, procs, timeout)
        except RuntimeError as exc:
            console.print(f"[red]{exc}")
            raise typer.Exit(1) from None
        table = Table(title="stack is up (Ctrl-C stops it)")
        for column in ("service", "HTTP", "gRPC", "docs"):
            table.add_column(column, no_wrap=True)
        for row in plan.rows:
            table.add_row(*row)
        # Wide enough for the URLs even when stdout is not a terminal (make, CI logs).
        Console(width=max(Console().width, 120)).print(table)
        _wait_for_interrupt(procs)


@contextlib.contextmanager
def _processes(
    commands: dict[str, list[str]], env: dict[str, dict[str, str]]
) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, command in commands.items():
            procs[name] = subprocess.Popen(command, env={**os.environ, **env[name]})
        yield procs
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for name, proc in procs.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                console.print(f"[yellow]{name} did not stop in time; killing it")
                proc.kill()
        console.print("stack stopped")


def _wait_healthy(
    urls: dict[str, str], procs: dict[str, subprocess.Popen[bytes]], timeout: float
) -> None:
    pending = dict(urls)
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1.0) as client:
        while pending:
            for name, url in list(pending.items()):
                if procs[name].poll() is not None:
                    raise RuntimeError(f"{name} exited with code {procs[name].returncode}")
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(url).status_code == 200:
                        del pending[name]
            if time.monotonic() > deadline:
                raise RuntimeError(f"not healthy after {timeout:.0f}s: {', '.join(pending)}")
            time.sleep(0.2)


def _wait_for_interrupt(procs: dict[str, subprocess.Popen[bytes]]) -> None:
    stop = False

    def handler(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    while not stop:
        for name, proc in procs.items():
            if proc.poll() is not None:
                console.print(f"[red]{name} exited with code {proc.returncode}; stopping")
                return
        time.sleep(0.2)


def _mount_plugins() -> None:
    """Command groups other packages add (entry-point group ``bridgectl.commands``)."""
    for ep in entry_points(group="bridgectl.commands"):
        app.add_typer(ep.load(), name=ep.name)


_mount_plugins()


def main() -> None:  # pragma: no cover - console script
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())  # type: ignore[func-returns-value]
