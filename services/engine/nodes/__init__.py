"""Node implementations, one module per catalog type, reached only through ``REGISTRY``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from contract.models import Node
from services.llm import LLMProvider

Item = dict[str, Any]


class NodeError(Exception):
    """A node failed in a way its retry policy and on_error setting deal with."""


@dataclass(frozen=True, slots=True)
class NodeContext:
    http: httpx.AsyncClient
    llm: LLMProvider
    time_scale: float = 1.0
    """Multiplies every wait (WAIT nodes, retry pauses): tests run workflows fast."""


@dataclass(frozen=True, slots=True)
class NodeResult:
    output: Item
    branch: bool | None = None
    """CONDITION only: which outgoing edges fire ('true'/'main' or 'false')."""


NodeRunner = Callable[[Node, Item, NodeContext], Awaitable[NodeResult]]


def _registry() -> dict[str, NodeRunner]:
    from services.engine.nodes import ai, condition, http_request, transform, trigger, wait

    return {
        "TRIGGER": trigger.run,
        "HTTP_REQUEST": http_request.run,
        "TRANSFORM": transform.run,
        "CONDITION": condition.run,
        "WAIT": wait.run,
        "AI": ai.run,
    }


REGISTRY: dict[str, NodeRunner] = {}


def runner_for(type_name: str) -> NodeRunner:
    from services.catalog import canonical

    if not REGISTRY:
        REGISTRY.update(_registry())
    try:
        return REGISTRY[canonical(type_name)]
    except KeyError:
        raise NodeError(f"no implementation for node type {type_name!r}") from None
