"""Property tests: proto -> model -> proto and model -> proto -> model are exact for every
message pair the services use, and the generated fast path agrees with the reference walk."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from bridge.converter import _walk
from bridge.converter._schema import MapT, MessageT, RepeatedT, TypeNode, WrapperT
from contract.binding import SERVICE_FILES, WRAPPERS, converter, model_for, rpc_messages
from contract.workflow.v1 import execution_pb2, trigger_pb2, workflow_pb2
from tests.strategies import model_data


def _all_pairs() -> list[tuple[type[BaseModel], type[Message]]]:
    """Every model/message pair reachable from the served RPCs (nested ones included)."""
    conv = converter()
    seen: dict[tuple[type[BaseModel], str], tuple[type[BaseModel], type[Message]]] = {}

    def visit(node: TypeNode) -> None:
        if isinstance(node, MessageT):
            add(node.plan.model, node.plan.message)
        elif isinstance(node, WrapperT):
            visit(node.inner)
        elif isinstance(node, RepeatedT):
            visit(node.item)
        elif isinstance(node, MapT):
            visit(node.value)

    def add(model: type[BaseModel], message: type[Message]) -> None:
        key = (model, message.DESCRIPTOR.full_name)
        if key in seen:
            return
        seen[key] = (model, message)
        for field in conv.plan(model, message).fields:
            visit(field.type)

    for _, message in rpc_messages():
        add(model_for(message), message)
    return sorted(seen.values(), key=lambda pair: pair[1].DESCRIPTOR.full_name)


PAIRS = _all_pairs()


def test_every_message_type_is_covered() -> None:
    """Every message declared in the contract's proto files is tested, bar the wrappers
    (which are tested through the messages that contain them)."""
    declared = {
        message.full_name
        for file in (
            *SERVICE_FILES,
            workflow_pb2.DESCRIPTOR,
            execution_pb2.DESCRIPTOR,
            trigger_pb2.DESCRIPTOR,
        )
        for message in file.message_types_by_name.values()
    }
    covered = {message.DESCRIPTOR.full_name for _, message in PAIRS}
    assert declared - WRAPPERS == covered


@pytest.mark.parametrize(("model", "message"), PAIRS, ids=[m.DESCRIPTOR.name for _, m in PAIRS])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_roundtrip(model: type[BaseModel], message: type[Message], data: st.DataObject) -> None:
    conv = converter()
    raw: dict[str, Any] = data.draw(model_data(model))
    try:
        original = model.model_validate(raw)
    except ValidationError:
        reject()
    proto = conv.to_proto(original, message)
    back = conv.from_proto(proto, model)
    # model -> proto -> model: equal values. (Which fields count as "set" may differ only
    # for an explicitly sent zero on a field proto3 cannot mark as set; the next line
    # checks that every field the wire can mark survives the trip.)
    assert back == original
    # proto -> model -> proto: the same message, also after a trip through the wire bytes.
    assert conv.to_proto(back, message) == proto
    wire = message.FromString(proto.SerializeToString())
    assert conv.from_proto(wire, model) == original
    # The generated fast path and the reference walk agree in both directions.
    plan = conv.plan(model, message)
    assert message(**_walk.model_to_kwargs(plan, original)) == proto
    assert model.model_validate(_walk.message_to_dict(plan, proto)) == back
