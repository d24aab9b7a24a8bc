"""Graph walks over workflow edges, shared by the agent's validator and its repairer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def reachable(starts: Iterable[str], outgoing: Mapping[str, Iterable[str]]) -> set[str]:
    """Every node id reachable from ``starts`` (included) along ``outgoing`` edges."""
    seen: set[str] = set()
    stack = list(starts)
    while stack:
        node_id = stack.pop()
        if node_id not in seen:
            seen.add(node_id)
            stack.extend(outgoing.get(node_id, ()))
    return seen
