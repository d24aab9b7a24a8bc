"""CONDITION (alias IF): compares two rendered values and picks the branch."""

from __future__ import annotations

import operator as operator_module
import re
from typing import Any

from contract.models import Node
from services.engine.expressions import ExpressionError, render
from services.engine.nodes import Item, NodeContext, NodeError, NodeResult


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def compare(left: Any, operator: str, right: Any) -> bool:
    ln, rn = _number(left), _number(right)
    numeric = ln is not None and rn is not None
    if operator in {"equals", "not_equals"}:
        same = ln == rn if numeric else str(left) == str(right)
        return same if operator == "equals" else not same
    if operator in {"contains", "not_contains"}:
        found = str(right) in (left if isinstance(left, list | dict) else str(left))
        return found if operator == "contains" else not found
    if operator in {"is_empty", "is_not_empty"}:
        empty = left is None or left == "" or left == [] or left == {}
        return empty if operator == "is_empty" else not empty
    if operator == "matches":
        try:
            return re.search(str(right), str(left)) is not None
        except re.error as exc:
            raise NodeError(f"invalid regular expression {right!r}: {exc}") from None
    order = _ORDER.get(operator)
    if order is None:
        raise NodeError(f"unknown operator {operator!r}")
    if ln is None or rn is None:
        raise NodeError(f"{operator} needs two numbers, got {left!r} and {right!r}")
    return bool(order(ln, rn))


_ORDER = {
    "greater_than": operator_module.gt,
    "less_than": operator_module.lt,
    "greater_or_equal": operator_module.ge,
    "less_or_equal": operator_module.le,
}


async def run(node: Node, item: Item, ctx: NodeContext) -> NodeResult:
    params = node.parameters
    try:
        left = render(params.get("left", ""), item)
        right = render(params.get("right", ""), item)
    except ExpressionError as exc:
        raise NodeError(str(exc)) from None
    return NodeResult(output=dict(item), branch=compare(left, params.get("operator", ""), right))
