"""TRANSFORM (alias SET): sets fields on the item from expressions."""

from __future__ import annotations

import json

from contract.models import Node
from services.engine.expressions import ExpressionError, render
from services.engine.nodes import Item, NodeContext, NodeError, NodeResult


async def run(node: Node, item: Item, ctx: NodeContext) -> NodeResult:
    out = dict(item)
    assignments: dict[str, str] = {}
    if node.parameters.get("target"):
        assignments[node.parameters["target"]] = node.parameters.get("expression", "")
    if node.parameters.get("fields"):
        try:
            fields = json.loads(node.parameters["fields"])
        except json.JSONDecodeError as exc:
            raise NodeError(f"fields is not a JSON object: {exc}") from None
        if not isinstance(fields, dict):
            raise NodeError("fields must be a JSON object of target -> expression")
        assignments.update({str(k): str(v) for k, v in fields.items()})
    try:
        for target, expression in assignments.items():
            out[target] = render(expression, item)
    except ExpressionError as exc:
        raise NodeError(str(exc)) from None
    return NodeResult(output=out)
