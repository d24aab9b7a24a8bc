"""Hand-written Workflow <-> proto conversion: the baseline the generic converter must match.

This is what a team writes without a converter: one function per message and direction.
It exists only for the benchmark (and a test that it agrees with the converter).
"""

from __future__ import annotations

from typing import Any

from contract.models import Connection, Node, OnError, Position, RetryPolicy, Workflow
from contract.models import WorkflowSettings as Settings
from contract.workflow.v1 import workflow_pb2 as pb

_ON_ERROR_TO = {OnError.CONTINUE: pb.ON_ERROR_CONTINUE, OnError.STOP: pb.ON_ERROR_STOP}
_ON_ERROR_FROM = {v: k for k, v in _ON_ERROR_TO.items()}


def node_to_proto(n: Node) -> pb.Node:
    return pb.Node(
        id=n.id,
        name=n.name,
        type=n.type,
        subtype=n.subtype,
        type_version=n.type_version,
        position=pb.Position(x=n.position.x, y=n.position.y),
        parameters=n.parameters,
        credentials=n.credentials,
        disabled=n.disabled,
        on_error=_ON_ERROR_TO[n.on_error],
        retry_policy=(
            pb.RetryPolicy(
                max_tries=n.retry_policy.max_tries,
                wait_between_tries=n.retry_policy.wait_between_tries,
            )
            if n.retry_policy
            else None
        ),
        notes=n.notes,
        webhooks=n.webhooks,
    )


def workflow_to_proto(w: Workflow) -> pb.Workflow:
    s = w.settings
    return pb.Workflow(
        id=w.id,
        name=w.name,
        description=w.description,
        nodes=[node_to_proto(n) for n in w.nodes],
        connections=pb.ConnectionsMap(
            connections={
                src: pb.NodeConnections(
                    connection_types={
                        kind: pb.ConnectionArray(
                            connections=[
                                pb.Connection(node=c.node, type=c.type, index=c.index)
                                for c in edges
                            ]
                        )
                        for kind, edges in by_type.items()
                    }
                )
                for src, by_type in w.connections.items()
            }
        ),
        settings=pb.WorkflowSettings(
            timezone=s.timezone,
            save_execution_progress=s.save_execution_progress,
            save_manual_executions=s.save_manual_executions,
            timeout=s.timeout,
            error_policy=s.error_policy,
            caller_policy=s.caller_policy,
        ),
        static_data=w.static_data,
        pin_data=w.pin_data,
        tags=w.tags,
        active=w.active,
        created_at=w.created_at,
        updated_at=w.updated_at,
        version=w.version,
    )


def _opt(m: Any, name: str) -> Any:
    return getattr(m, name) if m.HasField(name) else None


def node_from_proto(m: pb.Node) -> Node:
    return Node(
        id=m.id,
        name=m.name,
        type=m.type,
        subtype=_opt(m, "subtype"),
        type_version=m.type_version if m.HasField("type_version") else 1,
        position=Position(x=m.position.x, y=m.position.y),
        parameters=dict(m.parameters),
        credentials=dict(m.credentials),
        disabled=m.disabled,
        on_error=_ON_ERROR_FROM.get(m.on_error, OnError.CONTINUE),
        retry_policy=(
            RetryPolicy(
                max_tries=m.retry_policy.max_tries,
                wait_between_tries=m.retry_policy.wait_between_tries,
            )
            if m.HasField("retry_policy")
            else None
        ),
        notes=dict(m.notes),
        webhooks=list(m.webhooks),
    )


def workflow_from_proto(m: pb.Workflow) -> Workflow:
    s = m.settings
    return Workflow(
        id=_opt(m, "id"),
        name=m.name,
        description=_opt(m, "description"),
        nodes=[node_from_proto(n) for n in m.nodes],
        connections={
            src: {
                kind: [Connection(node=c.node, type=c.type, index=c.index) for c in arr.connections]
                for kind, arr in nc.connection_types.items()
            }
            for src, nc in m.connections.connections.items()
        },
        settings=Settings(
            timezone=dict(s.timezone),
            save_execution_progress=s.save_execution_progress,
            save_manual_executions=s.save_manual_executions,
            timeout=s.timeout,
            error_policy=s.error_policy,
            caller_policy=s.caller_policy,
        ),
        static_data=dict(m.static_data),
        pin_data=dict(m.pin_data),
        tags=list(m.tags),
        active=m.active,
        created_at=_opt(m, "created_at"),
        updated_at=_opt(m, "updated_at"),
        version=m.version,
    )
