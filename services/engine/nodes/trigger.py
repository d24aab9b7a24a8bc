"""TRIGGER: the entry point; its output is the trigger data (webhook body, cron slot...)."""

from __future__ import annotations

from contract.models import Node
from services.engine.nodes import Item, NodeContext, NodeResult


async def run(node: Node, item: Item, ctx: NodeContext) -> NodeResult:
    return NodeResult(output=dict(item))
