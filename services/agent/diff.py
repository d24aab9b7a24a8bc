"""What changed between two workflows, as sentences a person reads ("Added node 'Wait 5
min' (WAIT)"), computed from the workflows themselves, never claimed by a model.
Credential values are never shown; only that they changed."""

from __future__ import annotations

import re
from typing import Any

from contract.models import Node, Workflow

_NODE_FIELDS = ("name", "type", "subtype", "disabled", "on_error", "retry_policy", "type_version")


def describe_changes(old: Workflow, new: Workflow) -> list[str]:
    changes: list[str] = []
    if old.name != new.name:
        changes.append(f"Renamed the workflow from {old.name!r} to {new.name!r}")
    if (old.description or "") != (new.description or ""):
        changes.append("Changed the workflow description")
    before = {n.id: n for n in old.nodes}
    after = {n.id: n for n in new.nodes}
    for node_id, node in after.items():
        if node_id not in before:
            changes.append(f"Added node {node.name!r} ({node.type}, id {node_id!r})")
    for node_id, node in before.items():
        if node_id not in after:
            changes.append(f"Removed node {node.name!r} ({node.type}, id {node_id!r})")
    for node_id in after:  # in node order (a set's order would vary between runs)
        if node_id in before:
            changes.extend(_node_changes(before[node_id], after[node_id]))
    old_edges, new_edges = _edges(old), _edges(new)
    names = {**{k: v.name for k, v in before.items()}, **{k: v.name for k, v in after.items()}}
    for source, kind, target in sorted(new_edges - old_edges):
        changes.append(f"Connected {names[source]!r} -> {names[target]!r} ({kind})")
    for source, kind, target in sorted(old_edges - new_edges):
        changes.append(f"Disconnected {names[source]!r} -> {names[target]!r} ({kind})")
    changes.extend(_dict_changes("settings", old.settings.model_dump(), new.settings.model_dump()))
    if old.tags != new.tags:
        changes.append(f"Changed tags from {old.tags} to {new.tags}")
    if old.active != new.active:
        changes.append("Activated the workflow" if new.active else "Deactivated the workflow")
    return sorted(changes, key=_order)


def _order(change: str) -> tuple[int, str]:
    for rank, prefix in enumerate(("Renamed", "Changed the", "Added", "Removed", "Changed")):
        if change.startswith(prefix):
            return rank, ""
    return 9, ""


def _node_changes(old: Node, new: Node) -> list[str]:
    label = f"{old.name!r}" if old.name == new.name else f"{old.name!r} (now {new.name!r})"
    changes: list[str] = []
    for field in _NODE_FIELDS:
        a, b = getattr(old, field), getattr(new, field)
        if a != b:
            changes.append(f"Changed {label}: {field} {_show(a)} -> {_show(b)}")
    for key in sorted(old.parameters.keys() | new.parameters.keys()):
        a, b = old.parameters.get(key), new.parameters.get(key)
        if a == b:
            continue
        if _secret(key, a) or _secret(key, b):
            changes.append(f"Changed {label}: parameters.{key} (value hidden)")
        elif a is None:
            changes.append(f"Changed {label}: set parameters.{key} = {_show(b)}")
        elif b is None:
            changes.append(f"Changed {label}: removed parameters.{key}")
        else:
            changes.append(f"Changed {label}: parameters.{key} {_show(a)} -> {_show(b)}")
    if old.credentials != new.credentials:
        changes.append(f"Changed {label}: credentials")
    if old.position != new.position:
        changes.append(f"Moved {label}")
    return changes


_SECRET_NAMES = ("password", "secret", "token", "api_key", "apikey", "authorization")
_SECRET_VALUES = re.compile(
    r"hooks\.slack\.com/services/|authorization|bearer\s|api[_-]?key|token|password", re.I
)


def _secret(key: str, value: str | None) -> bool:
    """Parameters whose value is (or holds) a credential: secret-looking names, Slack
    webhook URLs (the path is the secret), headers carrying authorization."""
    if value is None:
        return False
    return any(word in key.lower() for word in _SECRET_NAMES) or bool(_SECRET_VALUES.search(value))


def _dict_changes(prefix: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    changes = []
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        if a != b:
            if isinstance(a, dict) and isinstance(b, dict):
                changes.extend(_dict_changes(f"{prefix}.{key}", a, b))
            else:
                changes.append(f"Changed {prefix}.{key} {_show(a)} -> {_show(b)}")
    return changes


def _edges(workflow: Workflow) -> set[tuple[str, str, str]]:
    return {
        (source, kind, edge.node)
        for source, by_type in workflow.connections.items()
        for kind, edges in by_type.items()
        for edge in edges
    }


def _show(value: Any) -> str:
    if hasattr(value, "model_dump"):
        value = value.model_dump()
    if hasattr(value, "value"):
        value = value.value
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
