"""The node catalog: the one list of node types, shared by the engine (which runs them)
and the agent (which generates and validates them), so what one makes the other runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

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
    spec = get_spec(node.type)
    if spec is None:
        return []
    needed = [*spec.required, *spec.required_by_subtype.get(node.subtype or "", ())]
    missing = [name for name in needed if not node.parameters.get(name, "").strip()]
    if spec.type == "TRANSFORM" and not (
        node.parameters.get("fields") or node.parameters.get("target")
    ):
        missing.append("target")
    return missing
