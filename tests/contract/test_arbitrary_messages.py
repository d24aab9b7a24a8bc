"""Arbitrary proto messages (built from descriptors alone, so often invalid for the model)
either convert to a model that round-trips, or raise ConversionError naming a field."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.converter import ConversionError
from contract.binding import converter, model_for, rpc_messages
from tests.strategies import TEXT, json_objects

_INTS = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
}


def _scalar(fd: FieldDescriptor) -> st.SearchStrategy[Any]:
    if fd.type in _INTS:
        low, high = _INTS[fd.type]
        return st.integers(-3, 5) | st.integers(low, high)
    if fd.type == FieldDescriptor.TYPE_ENUM:
        numbers = [v.number for v in fd.enum_type.values]
        return st.sampled_from(numbers) | st.integers(-1, 99)  # proto3 enums are open
    if fd.type == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if fd.type == FieldDescriptor.TYPE_DOUBLE:
        return st.floats()  # NaN and infinities included on purpose
    if fd.type == FieldDescriptor.TYPE_STRING:
        return st.text(TEXT, max_size=6) | st.sampled_from(["", " ", "a", "HTTP_REQUEST"])
    raise TypeError(fd.type)


def _value(fd: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
    if fd.type == FieldDescriptor.TYPE_MESSAGE:
        if fd.message_type.full_name == "google.protobuf.Struct":
            return json_objects
        return message_kwargs(fd.message_type, depth + 1)
    return _scalar(fd)


def message_kwargs(descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for fd in descriptor.fields:
        if depth > 3 and fd.type == FieldDescriptor.TYPE_MESSAGE:
            continue
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            key = fd.message_type.fields_by_name["key"]
            value = fd.message_type.fields_by_name["value"]
            fields[fd.name] = st.dictionaries(_scalar(key), _value(value, depth), max_size=2)
        elif fd.is_repeated:
            fields[fd.name] = st.lists(_value(fd, depth), max_size=2)
        else:
            fields[fd.name] = _value(fd, depth)
    return st.fixed_dictionaries({}, optional=fields)


REQUESTS = sorted({m for _, m in rpc_messages()}, key=lambda m: m.DESCRIPTOR.full_name)


@pytest.mark.parametrize("message", REQUESTS, ids=[m.DESCRIPTOR.name for m in REQUESTS])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_message_converts_or_names_the_field(
    message: type[Message], data: st.DataObject
) -> None:
    conv = converter()
    model = model_for(message)
    proto = message(**data.draw(message_kwargs(message.DESCRIPTOR)))
    try:
        result = conv.from_proto(proto, model)
    except ConversionError as exc:
        assert exc.violations, "a conversion error must say what is wrong"
        assert all(v.description for v in exc.violations)
        return
    # Whatever converted is a valid model that survives the trip back exactly.
    assert conv.from_proto(conv.to_proto(result, message), model) == result


def test_factory_classes_match_generated_ones() -> None:
    """rpc_messages hands out the generated classes (not look-alikes from a second pool)."""
    from contract.engine.v1 import engine_pb2

    cls = message_factory.GetMessageClass(engine_pb2.CreateWorkflowRequest.DESCRIPTOR)
    assert cls is engine_pb2.CreateWorkflowRequest
