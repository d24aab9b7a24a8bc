"""The node catalog: the one list of node types, shared by the engine (which runs them)
and the agent (which generates and validates them), so what one makes the other runs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cronsim import CronSim, CronSimError

from contract.models import Node


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeSpec:
    type: str
    description: str
    subtypes: frozenset[str] = frozenset()
    required: tuple[str, ...] = ()
    optional: Mapping[str, str] = field(default_factory=dict)
    """Optional parameter -> what it does. All parameters are strings on the wire."""
    outputs: tuple[str, ...] = ("main",)
    """Connection types this node's outgoing edges may use."""
    required_by_subtype: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


CATALOG: dict[str, NodeSpec] = {
    spec.type: spec
    for spec in (
        NodeSpec(
            type="TRIGGER",
            description="Entry point: a manual run, a webhook call or a cron schedule.",
            subtypes=frozenset({"MANUAL", "WEBHOOK", "CRON"}),
            optional={
                "path": "webhook path",
                "method": "webhook HTTP method",
                "cron": "cron expression (UTC)",
            },
            required_by_subtype={"WEBHOOK": ("path",), "CRON": ("cron",)},
        ),
        NodeSpec(
            type="HTTP_REQUEST",
            description="Calls an HTTP API; output is {status, headers, body}.",
            required=("url",),
            optional={
                "method": "GET (default), POST, PUT, PATCH, DELETE",
                "headers": "JSON object of headers (templated)",
                "body": "request body (templated; JSON if it parses)",
                "timeout_s": "seconds before the call fails (default 30)",
            },
        ),
        NodeSpec(
            type="TRANSFORM",
            description="Sets fields on the item from expressions ({{ $json.total * 2 }}).",
            optional={
                "expression": "value for `target`",
                "target": "field to set",
                "fields": "JSON object: target field -> expression",
            },
        ),
        NodeSpec(
            type="CONDITION",
            description=(
                "Compares two values; edges of type 'true'/'main' run when it holds, "
                "'false' when not."
            ),
            required=("left", "operator"),
            optional={"right": "value to compare with"},
            outputs=("main", "true", "false"),
        ),
        NodeSpec(
            type="WAIT",
            description="Waits a number of seconds, then passes its input on.",
            required=("seconds",),
        ),
        NodeSpec(
            type="AI",
            description="Asks the configured LLM; output adds {ai: {text, model}}.",
            required=("prompt",),
            optional={"model": "model name", "temperature": "0..2", "system": "system prompt"},
        ),
    )
}

ALIASES = {"SET": "TRANSFORM", "IF": "CONDITION"}
"""Other names the original platform used; accepted on input, run as the canonical type."""

CONDITION_OPERATORS = frozenset(
    {
        "equals",
        "not_equals",
        "contains",
        "not_contains",
        "greater_than",
        "less_than",
        "greater_or_equal",
        "less_or_equal",
        "is_empty",
        "is_not_empty",
        "matches",
    }
)


def canonical(type_name: str) -> str:
    return ALIASES.get(type_name, type_name)


def get_spec(type_name: str) -> NodeSpec | None:
    return CATALOG.get(canonical(type_name))


def missing_parameters(node: Node) -> list[str]:
    """Required parameters the node lacks (or leaves blank)."""
    return _missing(node.type, node.subtype, node.parameters)


def _missing(type_name: str, subtype: str | None, parameters: Mapping[str, str]) -> list[str]:
    spec = get_spec(type_name)
    if spec is None:
        return []
    needed = [*spec.required, *spec.required_by_subtype.get(subtype or "", ())]
    missing = [name for name in needed if not str(parameters.get(name, "")).strip()]
    if spec.type == "TRANSFORM" and not (
        str(parameters.get("fields", "")).strip() or str(parameters.get("target", "")).strip()
    ):
        missing.append("target")
    return missing


HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"})

Problem = tuple[str, str]
"""(field path below the node, message), e.g. ``("parameters.url", "required by ...")``."""


def node_problems(
    type_name: str, subtype: str | None, parameters: Mapping[str, str]
) -> list[Problem]:
    """What keeps a node from running: unknown type or subtype, missing required
    parameters, and literal parameter values the node cannot use (templated values,
    ``{{ ... }}``, are only known at run time and are not judged here)."""
    spec = get_spec(type_name)
    if spec is None:
        known = ", ".join(sorted(CATALOG))
        return [("type", f"unknown node type {type_name!r} (known: {known})")]
    problems: list[Problem] = []
    if subtype is not None and spec.subtypes and subtype not in spec.subtypes:
        problems.append(
            ("subtype", f"{spec.type} has no subtype {subtype!r} "
                        f"(one of {', '.join(sorted(spec.subtypes))})")
        )  # fmt: skip
    problems.extend(
        (f"parameters.{name}", f"required by {spec.type}")
        for name in _missing(type_name, subtype, parameters)
    )
    for name, value in parameters.items():
        message = _bad_value(spec.type, subtype, name, str(value))
        if message is not None:
            problems.append((f"parameters.{name}", message))
    return problems


def _out_of_range(value: str, low: float, high: float, what: str) -> str | None:
    try:
        number = float(value)
    except ValueError:
        return f"must be {what}, got {value!r}"
    return None if low <= number <= high else f"must be between {low:g} and {high:g}, got {value}"


def _bad_value(type_name: str, subtype: str | None, name: str, value: str) -> str | None:
    if "{{" in value or not value.strip():
        return None
    key = (type_name, name)
    if key == ("CONDITION", "operator") and value not in CONDITION_OPERATORS:
        return f"unknown operator {value!r} (one of {', '.join(sorted(CONDITION_OPERATORS))})"
    if key in {("WAIT", "seconds"), ("HTTP_REQUEST", "timeout_s")}:
        return _out_of_range(value, 0, 86400, "a number of seconds")
    if key == ("HTTP_REQUEST", "method") and value.upper() not in HTTP_METHODS:
        return f"unsupported method {value!r} (one of {', '.join(sorted(HTTP_METHODS))})"
    if key == ("HTTP_REQUEST", "url") and not value.startswith(("http://", "https://")):
        return f"must be an http:// or https:// URL, got {value!r}"
    if key in {("HTTP_REQUEST", "headers"), ("TRANSFORM", "fields")}:
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return "must be a JSON object"
        return None if isinstance(parsed, dict) else "must be a JSON object"
    if key == ("AI", "temperature"):
        return _out_of_range(value, 0, 2, "a number between 0 and 2")
    if key == ("TRIGGER", "cron") and subtype == "CRON":
        try:
            CronSim(value, datetime.now(UTC))
        except CronSimError as exc:
            return f"invalid cron expression: {exc}"
    return None
