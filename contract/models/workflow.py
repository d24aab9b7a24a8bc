"""Workflow definition models: nodes, connections, settings and the workflow itself."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StringConstraints, model_validator

from contract.models._base import (
    ContractModel,
    Description,
    EpochMillis,
    Identifier,
    Name,
    StringMap,
    Tags,
)

MAX_NODES = 1000

NodeType = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{0,63}$")]
"""A node catalog name such as ``HTTP_REQUEST``; the catalog itself decides what exists."""


class OnError(StrEnum):
    """What the executor does when a node still fails after its retries."""

    CONTINUE = "continue"
    STOP = "stop"


class Position(ContractModel):
    x: Annotated[float, Field(allow_inf_nan=False)]
    y: Annotated[float, Field(allow_inf_nan=False)]


class RetryPolicy(ContractModel):
    max_tries: Annotated[int, Field(ge=1, le=10)] = 3
    wait_between_tries: Annotated[int, Field(ge=1, le=300)] = 5
    """Seconds between two tries."""


class Node(ContractModel):
    id: Identifier
    name: Name
    type: NodeType
    subtype: NodeType | None = None
    type_version: Annotated[int, Field(ge=1, le=1000)] = 1
    position: Position
    parameters: StringMap = Field(default_factory=dict)
    credentials: StringMap = Field(default_factory=dict)
    """References to stored credentials; never returned in list responses, never logged."""
    disabled: bool = False
    on_error: OnError = OnError.CONTINUE
    retry_policy: RetryPolicy | None = None
    notes: StringMap = Field(default_factory=dict)
    webhooks: list[str] = Field(default_factory=list)


class Connection(ContractModel):
    node: Identifier
    """Id of the node this edge leads to."""
    type: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    index: Annotated[int, Field(ge=0, le=1000)] = 0


Connections = dict[str, dict[str, list[Connection]]]
"""Outgoing edges: source node id -> connection type ("main") -> edges. Flat, n8n-like:
the proto side's ConnectionsMap/NodeConnections/ConnectionArray wrappers do not appear."""


class WorkflowSettings(ContractModel):
    timezone: StringMap = Field(default_factory=dict)
    save_execution_progress: bool = True
    save_manual_executions: bool = True
    timeout: Annotated[int, Field(ge=60, le=86400)] = 3600
    """Seconds a whole execution may take."""
    error_policy: Annotated[str, Field(pattern=r"^(continue|stop)$")] = "continue"
    caller_policy: Annotated[str, Field(pattern=r"^(workflow|user)$")] = "workflow"


def check_unique_node_ids(nodes: Sequence[Node]) -> None:
    """Raise ValueError naming the first node id that appears twice."""
    ids = {node.id for node in nodes}
    if len(ids) == len(nodes):
        return
    seen: set[str] = set()
    for node in nodes:
        if node.id in seen:
            raise ValueError(f"node ids must be unique: {node.id!r} appears more than once")
        seen.add(node.id)


def check_connections(nodes: Sequence[Node], connections: Mapping[str, Any]) -> None:
    """Raise ValueError when an edge starts or ends at a node id that does not exist."""
    ids = {node.id for node in nodes}
    targets = {
        edge.node
        for by_type in connections.values()
        for edges in by_type.values()
        for edge in edges
    }
    if ids.issuperset(connections) and ids.issuperset(targets):
        return
    for source, by_type in connections.items():
        if source not in ids:
            raise ValueError(f"connections: source node {source!r} does not exist")
        for kind, edges in by_type.items():
            for index, edge in enumerate(edges):
                if edge.node not in ids:
                    raise ValueError(
                        f"connections.{source}.{kind}[{index}]: "
                        f"target node {edge.node!r} does not exist"
                    )


class Workflow(ContractModel):
    id: Identifier | None = None
    name: Name
    description: Description | None = None
    nodes: Annotated[list[Node], Field(min_length=1, max_length=MAX_NODES)]
    connections: Connections = Field(default_factory=dict)
    settings: WorkflowSettings = Field(default_factory=WorkflowSettings)
    static_data: StringMap = Field(default_factory=dict)
    pin_data: StringMap = Field(default_factory=dict)
    tags: Tags = Field(default_factory=list)
    active: bool = True
    created_at: EpochMillis | None = None
    updated_at: EpochMillis | None = None
    version: Annotated[str, StringConstraints(min_length=1, max_length=32)] = "1.0"

    @model_validator(mode="after")
    def _graph_is_consistent(self) -> Workflow:
        check_unique_node_ids(self.nodes)
        check_connections(self.nodes, self.connections)
        return self
