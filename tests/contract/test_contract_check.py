"""The contract check: models and proto messages agree, and any drift fails loudly."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message
from pydantic import Field

from bridge.converter import ContractError, Converter
from contract.binding import WRAPPERS, converter, model_for, rpc_messages
from contract.models import ContractModel, Node, Position, Workflow
from contract.workflow.v1 import workflow_pb2

F = descriptor_pb2.FieldDescriptorProto


def test_every_served_message_has_a_matching_model() -> None:
    conv = converter()
    problems = []
    for rpc, message in rpc_messages():
        try:
            conv.check(model_for(message), message)
        except (ContractError, LookupError) as exc:
            problems.append(f"{rpc}: {exc}")
    assert not problems, "\n".join(problems)


def _message(
    name: str, fields: list[tuple[str, int, int]], *, optional: frozenset[str] = frozenset()
) -> type[Message]:
    """A message class in a private pool: (field name, number, FieldDescriptorProto type)."""
    pool = descriptor_pool.DescriptorPool()
    file = descriptor_pb2.FileDescriptorProto(
        name=f"test_{name}.proto", package="testonly.v1", syntax="proto3"
    )
    msg = file.message_type.add(name=name)
    for field_name, number, kind in fields:
        field = msg.field.add(name=field_name, number=number, type=kind, label=F.LABEL_OPTIONAL)
        if field_name in optional:
            field.proto3_optional = True
            msg.oneof_decl.add(name=f"_{field_name}")
            field.oneof_index = len(msg.oneof_decl) - 1
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"testonly.v1.{name}"))


def test_field_only_in_proto_fails_with_its_name() -> None:
    extended = _message(
        "Position", [("x", 1, F.TYPE_DOUBLE), ("y", 2, F.TYPE_DOUBLE), ("z", 3, F.TYPE_DOUBLE)]
    )
    with pytest.raises(ContractError, match=r"proto field 'z' has no model field"):
        Converter().check(Position, extended)


def test_field_only_in_model_fails_with_its_name() -> None:
    class Position3D(Position):
        z: float = 0.0

    with pytest.raises(ContractError, match=r"model field 'z' has no proto field 'z'"):
        Converter().check(Position3D, workflow_pb2.Position)


def test_type_mismatch_fails() -> None:
    textual = _message("Position", [("x", 1, F.TYPE_STRING), ("y", 2, F.TYPE_DOUBLE)])
    with pytest.raises(ContractError, match=r"field 'x': proto string pairs with float"):
        Converter().check(Position, textual)


def test_optional_model_field_needs_proto_presence() -> None:
    class MaybePosition(ContractModel):
        x: float | None = None
        y: float

    with pytest.raises(
        ContractError, match=r"'x': model allows None but proto field 'x' cannot be unset"
    ):
        Converter().check(MaybePosition, workflow_pb2.Position)
    with_presence = _message(
        "Position", [("x", 1, F.TYPE_DOUBLE), ("y", 2, F.TYPE_DOUBLE)], optional=frozenset({"x"})
    )
    Converter().check(MaybePosition, with_presence)


def test_non_zero_default_needs_proto_presence() -> None:
    class Shifted(ContractModel):
        x: float = 1.5
        y: float

    with pytest.raises(ContractError, match=r"default 1.5 differs from the proto zero value"):
        Converter().check(Shifted, workflow_pb2.Position)


def test_int_bounds_must_fit_the_proto_type() -> None:
    class Wide(ContractModel):
        max_tries: int | None = None
        wait_between_tries: Annotated[int, Field(ge=1, le=300)] = 5

    with pytest.raises(ContractError, match=r"'max_tries': model allows integers in \[-inf, inf\]"):
        Converter().check(Wide, workflow_pb2.RetryPolicy)


def test_enum_members_must_match() -> None:
    class OnErrorPlus(StrEnum):
        CONTINUE = "continue"
        STOP = "stop"
        RETRY_FOREVER = "retry_forever"

    class NodePlus(Node):
        on_error: OnErrorPlus = OnErrorPlus.CONTINUE  # type: ignore[assignment]

    with pytest.raises(ContractError, match=r"only in model \['RETRY_FOREVER'\]"):
        Converter(wrappers=WRAPPERS).check(NodePlus, workflow_pb2.Node)


def test_wrapped_message_without_wrapper_declaration_is_a_clear_error() -> None:
    with pytest.raises(ContractError, match=r"declare it a wrapper"):
        Converter().check(Workflow, workflow_pb2.Workflow)


def test_all_problems_are_reported_at_once() -> None:
    class Wrong(ContractModel):
        x: str
        w: int = 0

    with pytest.raises(ContractError) as exc:
        Converter().check(Wrong, workflow_pb2.Position)
    assert len(exc.value.problems) == 3  # x type, w missing in proto, y missing in model
