"""The safe expression language of node parameters: ``{{ $json.total * 4 }}``.

Expressions are parsed and evaluated by simpleeval (a whitelist over Python's ast: no
calls except the listed functions, no attribute names starting with ``_``, bounded
powers and string sizes), never by ``eval``. ``$json`` is the node's input item; dicts
read with dots (``$json.customer.email``) or brackets. A parameter that is exactly one
``{{ ... }}`` yields the raw value (a number stays a number); otherwise each ``{{ }}``
is rendered into the text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from simpleeval import EvalWithCompoundTypes

_TEMPLATE = re.compile(r"\{\{(.*?)\}\}", re.S)
_WHOLE = re.compile(r"^\s*\{\{(.*?)\}\}\s*$", re.S)
MAX_EXPRESSION = 2000


def unique(values: Any) -> Any:
    """A list without repeated entries, first occurrence kept (entries compare as JSON, so
    objects work too); anything that is not a list is returned unchanged."""
    values = _unwrap(values)
    if not isinstance(values, list):
        return values
    seen: set[str] = set()
    kept = []
    for value in values:
        key = json.dumps(_unwrap(value), sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            kept.append(value)
    return kept


FUNCTIONS = {
    "len": len, "str": str, "int": int, "float": float, "round": round, "abs": abs,
    "min": min, "max": max, "bool": bool, "lower": str.lower, "upper": str.upper,
    "json": lambda value: json.dumps(value, default=_plain), "unique": unique,
}  # fmt: skip


class ExpressionError(ValueError):
    """An expression that does not parse or fails to evaluate; the message says which."""


class _Item:
    """Dot access over JSON objects (``$json.a.b``) for the evaluator."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def __getattr__(self, name: str) -> Any:
        try:
            return _wrap(self._data[name])
        except KeyError:
            raise ExpressionError(f"$json has no field {name!r}") from None

    def __getitem__(self, key: str) -> Any:
        return _wrap(self._data[key])

    def __repr__(self) -> str:
        return json.dumps(self._data, default=str)


def _plain(value: Any) -> Any:
    """What ``json()`` encodes for an item read from ``$json`` (``json($json.body)``)."""
    if isinstance(value, _Item):
        return value._data
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _wrap(value: Any) -> Any:
    return _Item(value) if isinstance(value, Mapping) else value


def _unwrap(value: Any) -> Any:
    if isinstance(value, _Item):
        return dict(value._data)
    return value


def evaluate(expression: str, item: Mapping[str, Any]) -> Any:
    """Evaluate one expression against ``item`` (bound to ``$json``)."""
    if len(expression) > MAX_EXPRESSION:
        raise ExpressionError(f"expression longer than {MAX_EXPRESSION} characters")
    source = expression.strip().replace("$json", "json_")
    evaluator = EvalWithCompoundTypes(names={"json_": _Item(item)}, functions=FUNCTIONS)
    try:
        return _unwrap(evaluator.eval(source))
    except ExpressionError:
        raise
    except Exception as exc:  # simpleeval raises many types; callers get one
        raise ExpressionError(f"cannot evaluate {expression.strip()!r}: {exc}") from None


def render(template: str, item: Mapping[str, Any]) -> Any:
    """Render a parameter: a lone ``{{ expr }}`` gives the value, otherwise text."""
    whole = _WHOLE.match(template)
    if whole is not None and "{{" not in whole.group(1):
        return evaluate(whole.group(1), item)

    def one(match: re.Match[str]) -> str:
        value = evaluate(match.group(1), item)
        return value if isinstance(value, str) else json.dumps(value, default=str)

    return _TEMPLATE.sub(one, template)


def render_text(template: str, item: Mapping[str, Any]) -> str:
    value = render(template, item)
    return value if isinstance(value, str) else json.dumps(value, default=str)
