"""How the contract's proto messages and Pydantic models fit together, declared once.

``WRAPPERS`` lists the single-field messages that exist only because proto3 cannot
express the shape directly (``repeated`` inside a ``map``, or "absent" vs "empty" for a
list in a partial update). On the HTTP/JSON side their content appears in place: the
flat, n8n-like ``connections`` with no doubled ``connections.connections`` level.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from google.protobuf.descriptor import FileDescriptor
from google.protobuf.message import Message
from pydantic import BaseModel

from bridge.converter import Converter
from contract import models
from contract.agent.v1 import agent_pb2
from contract.engine.v1 import engine_pb2

WRAPPERS = frozenset(
    {
        "contract.workflow.v1.ConnectionArray",
        "contract.workflow.v1.NodeConnections",
        "contract.workflow.v1.ConnectionsMap",
        "contract.workflow.v1.NodeList",
        "contract.workflow.v1.StringList",
        "contract.workflow.v1.StringMap",
    }
)

SERVICE_FILES: tuple[FileDescriptor, ...] = (engine_pb2.DESCRIPTOR, agent_pb2.DESCRIPTOR)
"""The proto files whose services the platform serves."""


@cache
def converter() -> Converter:
    """The converter for this contract (plans compile on first use and are cached)."""
    return Converter(wrappers=WRAPPERS)


def model_for(message: type[Message]) -> type[BaseModel]:
    """The Pydantic model of a proto message: the class of the same name in contract.models."""
    name = message.DESCRIPTOR.name
    model = getattr(models, name, None)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise LookupError(f"contract.models has no model for {message.DESCRIPTOR.full_name}")
    return model


def rpc_messages() -> Iterator[tuple[str, type[Message]]]:
    """Every request and response message of every served RPC, as (rpc path, class)."""
    from google.protobuf import message_factory

    for file in SERVICE_FILES:
        for service in file.services_by_name.values():
            for method in service.methods:
                path = f"/{service.full_name}/{method.name}"
                yield path, message_factory.GetMessageClass(method.input_type)
                yield path, message_factory.GetMessageClass(method.output_type)
