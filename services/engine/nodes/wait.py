"""WAIT: pauses, then passes its input on (cancellable like any other node)."""

from __future__ import annotations

import asyncio

from contract.models import Node
from services.engine.nodes import Item, NodeContext, NodeError, NodeResult

MAX_WAIT_SECONDS = 24 * 3600


async def run(node: Node, item: Item, ctx: NodeContext) -> NodeResult:
    raw = node.parameters.get("seconds", "0")
    try:
        seconds = float(raw)
    except ValueError:
        raise NodeError(f"seconds must be a number, got {raw!r}") from None
    if not 0 <= seconds <= MAX_WAIT_SECONDS:
        raise NodeError(f"seconds must be between 0 and {MAX_WAIT_SECONDS}")
    await asyncio.sleep(seconds * ctx.time_scale)
    return NodeResult(output=dict(item))
