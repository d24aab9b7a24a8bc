"""Deterministic workflow validation: what the engine would refuse or could not run is an
error; what is legal but questionable is a warning. Each message starts with the path of
what it is about (``nodes[3].parameters.url: ...``).

The input is free-form JSON on purpose (a broken workflow must still be judged), so the
graph checks read the raw data and the shape checks come from the contract's own models.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from bridge.converter import violations_from_validation_error
from contract.models import Workflow
from services.catalog import ALIASES, CATALOG, canonical, get_spec, node_problems
from services.catalog.graph import reachable

MANY_NODES = 200
_SECRET_NAME = re.compile(r"password|secret|token|api_?key|authorization", re.I)


@dataclass(slots=True)
class Report:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    workflow: Workflow | None = None
    """The parsed workflow, when its shape is valid (even if the graph is not)."""

    @property
    def valid(self) -> bool:
        return not self.errors


def validate_workflow(data: Mapping[str, Any]) -> Report:
    report = Report()
    raw_nodes = data.get("nodes")
    if not isinstance(raw_nodes, list) or not raw_nodes:
        report.errors.append("nodes: a workflow needs a non-empty list of nodes")
        return report
    nodes = [n if isinstance(n, Mapping) else {} for n in raw_nodes]
    _check_shape(data, report)
    ids = _check_ids(nodes, report)
    for index, node in enumerate(nodes):
        _check_node(index, node, report)
    connections = data.get("connections") or {}
    edges = _edges(connections, nodes, ids, report) if isinstance(connections, Mapping) else []
    _check_graph(nodes, ids, edges, report)
    _check_settings(data.get("settings"), report)
    return report


def _check_shape(data: Mapping[str, Any], report: Report) -> None:
    try:
        report.workflow = Workflow.model_validate(data)
    except ValidationError as exc:
        for violation in violations_from_validation_error(exc):
            # Graph consistency (ids, edges) is reported below, once, with more detail.
            if violation.field and not violation.field.startswith("connections"):
                report.errors.append(f"{violation.field}: {violation.description}")


def _check_ids(nodes: Sequence[Mapping[str, Any]], report: Report) -> dict[str, int]:
    ids: dict[str, int] = {}
    for index, node in enumerate(nodes):
        node_id = node.get("id")
        if not isinstance(node_id, str) or not node_id:
            continue  # the shape check names it
        if node_id in ids:
            report.errors.append(
                f"nodes[{index}].id: duplicate node id {node_id!r} (also nodes[{ids[node_id]}])"
            )
        else:
            ids[node_id] = index
    return ids


def _check_node(index: int, node: Mapping[str, Any], report: Report) -> None:
    type_name = node.get("type")
    if not isinstance(type_name, str):
        return  # the shape check names it
    where = f"nodes[{index}]"
    subtype = node.get("subtype") if isinstance(node.get("subtype"), str) else None
    raw_params = node.get("parameters")
    params = (
        {str(k): v if isinstance(v, str) else str(v) for k, v in raw_params.items()}
        if isinstance(raw_params, Mapping)
        else {}
    )
    report.errors.extend(
        f"{where}.{path}: {message}" for path, message in node_problems(type_name, subtype, params)
    )
    label = f"{where} ({node.get('id')!s})"
    if type_name in ALIASES:
        report.warnings.append(
            f"{where}.type: {type_name} is an alias of {ALIASES[type_name]}; "
            "prefer the canonical name"
        )
    if node.get("disabled") is True:
        report.warnings.append(f"{label}: disabled, so it passes its input through unchanged")
    spec = get_spec(type_name)
    if spec is not None:
        known = _known_parameters(spec.type)
        for name in params:
            if name not in known:
                report.warnings.append(
                    f"{where}.parameters.{name}: not a parameter of {spec.type}; it is ignored"
                )
    for name, value in params.items():
        if _SECRET_NAME.search(name) and "{{" not in value:
            report.warnings.append(
                f"{where}.parameters.{name}: looks like a secret in plain text; "
                "reference a stored credential in `credentials` instead"
            )
    url = params.get("url", "")
    if canonical(type_name) == "HTTP_REQUEST" and url.startswith("http://"):
        host = urlsplit(url).hostname or ""
        if host not in {"localhost", "127.0.0.1", "::1"}:
            report.warnings.append(f"{where}.parameters.url: plain http:// (not TLS) to {host}")


@cache
def _known_parameters(type_name: str) -> frozenset[str]:
    spec = CATALOG[type_name]
    by_subtype = (name for names in spec.required_by_subtype.values() for name in names)
    return frozenset({*spec.required, *spec.optional, *by_subtype})


Edge = tuple[str, str, str]
"""(source id, connection type, target id)."""


def _edges(
    connections: Mapping[str, Any],
    nodes: Sequence[Mapping[str, Any]],
    ids: Mapping[str, int],
    report: Report,
) -> list[Edge]:
    edges: list[Edge] = []
    for source, by_type in connections.items():
        if source not in ids:
            report.errors.append(f"connections.{source}: source node {source!r} does not exist")
            continue
        if not isinstance(by_type, Mapping):
            report.errors.append(f"connections.{source}: must map connection types to edge lists")
            continue
        spec = get_spec(str(nodes[ids[source]].get("type", "")))
        for kind, targets in by_type.items():
            where = f"connections.{source}.{kind}"
            if spec is not None and kind not in spec.outputs:
                report.errors.append(
                    f"{where}: {spec.type} has no {kind!r} output "
                    f"(one of {', '.join(spec.outputs)})"
                )
            if not isinstance(targets, list):
                report.errors.append(f"{where}: must be a list of edges")
                continue
            for index, edge in enumerate(targets):
                target = edge.get("node") if isinstance(edge, Mapping) else None
                if not isinstance(target, str):
                    report.errors.append(f"{where}[{index}].node: required (the target node id)")
                elif target not in ids:
                    report.errors.append(
                        f"{where}[{index}].node: target node {target!r} does not exist"
                    )
                elif target == source:
                    report.errors.append(
                        f"{where}[{index}].node: node {source!r} connects to itself"
                    )
                else:
                    edges.append((source, str(kind), target))
    return edges


def _check_graph(
    nodes: Sequence[Mapping[str, Any]],
    ids: Mapping[str, int],
    edges: Sequence[Edge],
    report: Report,
) -> None:
    triggers = [
        i for i, index in ids.items() if canonical(str(nodes[index].get("type"))) == "TRIGGER"
    ]
    if not triggers:
        report.errors.append(
            "nodes: no TRIGGER node; a workflow needs an entry point (MANUAL, WEBHOOK or CRON)"
        )
    elif len(triggers) > 1:
        report.warnings.append(
            f"nodes: {len(triggers)} TRIGGER nodes ({', '.join(triggers)}); every run starts "
            "from all of them"
        )
    outgoing: dict[str, list[str]] = {node_id: [] for node_id in ids}
    incoming: dict[str, int] = dict.fromkeys(ids, 0)
    kinds: dict[str, set[str]] = {node_id: set() for node_id in ids}
    for source, kind, target in edges:
        outgoing[source].append(target)
        incoming[target] += 1
        kinds[source].add(kind)
    for trigger in triggers:
        if incoming[trigger]:
            report.errors.append(
                f"nodes[{ids[trigger]}] ({trigger}): a TRIGGER cannot have incoming edges"
            )
    cycle = _find_cycle(outgoing)
    if cycle:
        report.errors.append(f"connections: cycle {' -> '.join(cycle)}")
    if triggers:
        reached = reachable(triggers, outgoing)
        for node_id, index in ids.items():
            if node_id not in reached:
                report.errors.append(f"nodes[{index}] ({node_id}): unreachable from any trigger")
    for node_id, index in ids.items():
        if canonical(str(nodes[index].get("type"))) == "CONDITION" and outgoing[node_id]:
            if "false" not in kinds[node_id]:
                report.warnings.append(
                    f"nodes[{index}] ({node_id}): no 'false' branch; nothing runs when the "
                    "condition does not hold"
                )
            elif not kinds[node_id] & {"true", "main"}:
                report.warnings.append(
                    f"nodes[{index}] ({node_id}): only a 'false' branch; nothing runs when it holds"
                )
    if len(ids) == 1 and triggers:
        report.warnings.append("nodes: the workflow has a trigger and nothing else")
    if len(ids) > MANY_NODES:
        report.warnings.append(f"nodes: {len(ids)} nodes; consider splitting the workflow")


def _find_cycle(outgoing: Mapping[str, Sequence[str]]) -> list[str]:
    """One cycle as a path that ends where it starts, or [] (iterative DFS)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for root in outgoing:
        if root in state:
            continue
        path: list[str] = [root]
        stack = [iter(outgoing[root])]
        state[root] = 1
        while stack:
            target = next(stack[-1], None)
            if target is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(target) == 1:
                return [*path[path.index(target) :], target]
            elif target not in state:
                state[target] = 1
                path.append(target)
                stack.append(iter(outgoing[target]))
    return []


def _check_settings(settings: Any, report: Report) -> None:
    if not isinstance(settings, Mapping):
        return  # absent: defaults; a wrong type is named by the shape check
    timezone = settings.get("timezone")
    name = timezone.get("name") if isinstance(timezone, Mapping) else None
    if isinstance(name, str) and name:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            report.errors.append(f"settings.timezone.name: unknown time zone {name!r}")
