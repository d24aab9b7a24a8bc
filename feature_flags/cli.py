"""``bridgectl flags``: show and change the transport flags where the gateways read them.

The store comes from ``--store`` or ``FLAGS_STORE`` (``env`` | ``file:<path>`` |
``redis://host:port/db``). Every change needs a reason and is audited with who made it.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import typer

from feature_flags.model import FlagSet, Rule, method_key
from feature_flags.stores import FlagStore, open_store

app = typer.Typer(help="Show and change the transport flags (FLAGS_STORE).", no_args_is_help=True)
T = TypeVar("T")

StoreOption = Annotated[
    str | None,
    typer.Option("--store", help="env | file:<path> | redis://... (default FLAGS_STORE)"),
]
Reason = Annotated[str, typer.Option("--reason", help="why (goes into the audit log)")]
Who = Annotated[str | None, typer.Option("--who", help="who (default: the login name)")]


def _run(spec: str | None, action: Callable[[FlagStore], Awaitable[T]]) -> T:
    async def main() -> T:
        store = open_store(spec if spec is not None else os.environ.get("FLAGS_STORE"))
        await store.start()
        try:
            return await action(store)
        finally:
            await store.close()

    return asyncio.run(main())


def _who(who: str | None) -> str:
    return who or os.environ.get("USER") or getpass.getuser()


def _print(flags: FlagSet) -> None:
    typer.echo(json.dumps(flags.describe(), indent=2))


@app.command()
def show(store: StoreOption = None) -> None:
    """Print the flags in force."""

    async def action(s: FlagStore) -> FlagSet:
        return s.current()

    _print(_run(store, action))


@app.command("set")
def set_rule(
    scope: Annotated[str, typer.Argument(help="default | <service> | <service>/<method>")],
    rule: Annotated[str, typer.Argument(help="grpc | http | http:25 | grpc+shadow ...")],
    reason: Reason,
    who: Who = None,
    store: StoreOption = None,
) -> None:
    """Set the rule of one scope, e.g. ``set workflow_engine http:25 --reason 'step 2'``."""
    try:
        parsed = Rule.parse(rule)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None

    def change(flags: FlagSet) -> FlagSet:
        if scope == "default":
            return flags.model_copy(update={"default": parsed})
        if "/" in scope:
            service, method = scope.split("/", 1)
            methods = {**flags.methods, method_key(service, method): parsed}
            return flags.model_copy(update={"methods": methods})
        return flags.model_copy(update={"services": {**flags.services, scope.lower(): parsed}})

    _print(_run(store, lambda s: s.update(change, who=_who(who), why=reason)))


@app.command()
def rollback(
    reason: Reason,
    service: Annotated[
        str | None, typer.Argument(help="service to send back to gRPC; none = kill switch")
    ] = None,
    who: Who = None,
    store: StoreOption = None,
) -> None:
    """Send a service (its per-method rules too) back to gRPC, or pull the kill switch."""

    def change(flags: FlagSet) -> FlagSet:
        if service is None:
            return flags.model_copy(update={"kill_switch": True})
        prefix = service.lower() + "/"
        methods = {k: v for k, v in flags.methods.items() if not k.startswith(prefix)}
        services = {**flags.services, service.lower(): Rule()}
        return flags.model_copy(update={"services": services, "methods": methods})

    _print(_run(store, lambda s: s.update(change, who=_who(who), why=reason)))


@app.command()
def release(reason: Reason, who: Who = None, store: StoreOption = None) -> None:
    """Release the kill switch (rules take effect again)."""

    def change(flags: FlagSet) -> FlagSet:
        return flags.model_copy(update={"kill_switch": False})

    _print(_run(store, lambda s: s.update(change, who=_who(who), why=reason)))


@app.command()
def history(
    limit: Annotated[int, typer.Option(help="how many entries")] = 20, store: StoreOption = None
) -> None:
    """Who changed what, when and why (newest first)."""
    entries = _run(store, lambda s: s.history(limit))
    for entry in entries:
        when = datetime.fromtimestamp(entry.when / 1000, UTC).isoformat(timespec="seconds")
        typer.echo(f"{when}  {entry.who}: {entry.why}")
        typer.echo(f"    {json.dumps(entry.old)} -> {json.dumps(entry.new)}")
