"""Pair a Pydantic model with a proto message, field by field, into a conversion plan.

Building the plan *is* the contract check: every model field must have a proto field of
the same name (or the one given by ``ProtoName``), of a matching type, and the other way
round; every problem found is collected and raised as one ``ContractError``.

Type correspondences (proto -> Python):
  scalars -> str / bytes / bool / int / float;  enum -> an ``enum.Enum`` whose member
  names are the proto value names without the enum-name prefix (``ON_ERROR_STOP`` ->
  ``STOP``), the ``*_UNSPECIFIED`` zero value meaning "not set";  message -> BaseModel;
  repeated -> ``list``;  map -> ``dict``;  Struct -> ``dict[str, Any]``;  ListValue ->
  ``list[Any]``;  Value -> ``Any``;  a declared single-field *wrapper* message -> the
  Python form of its one field (so ``ConnectionsMap`` -> ``dict[str, dict[...]]``).

Presence: a model field that may be ``None`` needs a proto field that tracks presence
(``optional`` scalar, message, or an enum with an UNSPECIFIED zero). A proto field that
cannot tell "unset" from its zero value may only pair with a model field whose default
is that zero value; otherwise a round trip would change the value.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated, Any, Union

import annotated_types
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

STRUCT = "google.protobuf.Struct"
VALUE = "google.protobuf.Value"
LIST_VALUE = "google.protobuf.ListValue"

_INT_TYPES = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}
_SCALAR_PY: dict[int, type] = {
    **dict.fromkeys(_INT_TYPES, int),
    FieldDescriptor.TYPE_STRING: str,
    FieldDescriptor.TYPE_BYTES: bytes,
    FieldDescriptor.TYPE_BOOL: bool,
    FieldDescriptor.TYPE_DOUBLE: float,
    FieldDescriptor.TYPE_FLOAT: float,
}
_ZERO: dict[type, object] = {int: 0, str: "", bytes: b"", bool: False, float: 0.0}


@dataclass(frozen=True, slots=True)
class ProtoName:
    """``Annotated[T, ProtoName("other")]``: this model field is proto field ``other``."""

    name: str


# -- type nodes -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScalarT:
    proto_type: int
    py: type

    @property
    def int_range(self) -> tuple[int, int] | None:
        return _INT_TYPES.get(self.proto_type)


@dataclass(frozen=True, slots=True)
class EnumT:
    enum: type[Enum]
    proto_name: str
    by_number: dict[int, Enum]
    to_number: dict[Enum, int]
    has_unset_zero: bool


@dataclass(frozen=True, slots=True)
class JsonT:
    """Struct (``object``), ListValue (``array``) or Value (``any``)."""

    shape: str


@dataclass(frozen=True, slots=True)
class WrapperT:
    message: type[Message]
    field_name: str
    inner: TypeNode


@dataclass(frozen=True, slots=True)
class RepeatedT:
    item: TypeNode


@dataclass(frozen=True, slots=True)
class MapT:
    key: ScalarT
    value: TypeNode


@dataclass(eq=False, slots=True)
class MessageT:
    plan: MessagePlan


TypeNode = ScalarT | EnumT | JsonT | WrapperT | RepeatedT | MapT | MessageT


@dataclass(slots=True)
class FieldPlan:
    model_name: str
    proto_name: str
    type: TypeNode
    presence: bool
    """The proto side can tell "unset" apart (HasField, or an enum's UNSPECIFIED zero)."""
    has_field: bool
    """Presence is read with ``HasField`` (optional scalar or message)."""
    required: bool
    """The model has no default for this field."""


@dataclass(eq=False, slots=True)
class MessagePlan:
    model: type[BaseModel]
    message: type[Message]
    fields: list[FieldPlan] = field(default_factory=list)
    index: int = 0
    """Unique number of this plan inside its converter (names its generated functions)."""


# -- pairing --------------------------------------------------------------------------


def _int_bounds(metadata: list[Any]) -> tuple[float, float]:
    """The closed [low, high] an int field's constraints allow (infinite if unbounded)."""
    low, high = float("-inf"), float("inf")
    for item in metadata:
        for attr, value in _constraint_items(item):
            if attr == "ge":
                low = max(low, value)
            elif attr == "gt":
                low = max(low, value + 1)
            elif attr == "le":
                high = min(high, value)
            elif attr == "lt":
                high = min(high, value - 1)
    return low, high


def _constraint_items(item: Any) -> list[tuple[str, Any]]:
    if isinstance(item, annotated_types.Interval):
        return [
            (k, getattr(item, k)) for k in ("ge", "gt", "le", "lt") if getattr(item, k) is not None
        ]
    out = []
    for attr in ("ge", "gt", "le", "lt"):
        value = getattr(item, attr, None)
        if isinstance(value, int):
            out.append((attr, value))
    return out


def _annotated_metadata(tp: Any) -> list[Any]:
    out: list[Any] = []
    while typing.get_origin(tp) is Annotated:
        tp, *extra = typing.get_args(tp)
        for item in extra:
            # A Field(...) inside Annotated keeps its constraints in its own metadata.
            out.extend(item.metadata if isinstance(item, FieldInfo) else [item])
    return out


def _strip_annotated(tp: Any) -> Any:
    while typing.get_origin(tp) is Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _split_optional(tp: Any) -> tuple[Any, bool]:
    tp = _strip_annotated(tp)
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0], True  # keep Annotated: its constraints matter to the pairing
    return tp, False


def _camel_to_upper_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


def _describe(tp: Any) -> str:
    return getattr(tp, "__name__", None) or repr(tp)


class PlanBuilder:
    """Builds (and caches) plans for model/message pairs; collects contract problems."""

    def __init__(self, wrappers: frozenset[str]) -> None:
        self.wrappers = wrappers
        self.plans: dict[tuple[type[BaseModel], str], MessagePlan] = {}
        self._enums: dict[tuple[type[Enum], str], EnumT] = {}

    def plan(
        self, model: type[BaseModel], message: type[Message], problems: list[str]
    ) -> MessagePlan:
        key = (model, message.DESCRIPTOR.full_name)
        if key in self.plans:
            return self.plans[key]
        plan = MessagePlan(model=model, message=message, index=len(self.plans))
        self.plans[key] = plan  # before the fields: a message may contain itself
        descriptor = message.DESCRIPTOR
        where = f"{model.__name__} <-> {descriptor.full_name}"
        proto_fields = {f.name: typing.cast(FieldDescriptor, f) for f in descriptor.fields}
        for name, info in model.model_fields.items():
            proto_name = next((m.name for m in info.metadata if isinstance(m, ProtoName)), name)
            fd = proto_fields.pop(proto_name, None)
            if fd is None:
                problems.append(f"{where}: model field {name!r} has no proto field {proto_name!r}")
                continue
            fplan = self._field(model, name, info, fd, f"{where}: field {name!r}", problems)
            if fplan is not None:
                plan.fields.append(fplan)
        for proto_name in proto_fields:
            problems.append(f"{where}: proto field {proto_name!r} has no model field")
        return plan

    def _field(
        self,
        model: type[BaseModel],
        name: str,
        info: FieldInfo,
        fd: FieldDescriptor,
        where: str,
        problems: list[str],
    ) -> FieldPlan | None:
        annotation, optional = _split_optional(info.annotation)
        node = self._pair(annotation, fd, where, problems, list(info.metadata))
        if node is None:
            return None
        has_field = bool(fd.has_presence) and not _is_repeated(fd)
        presence = has_field or (isinstance(node, EnumT) and node.has_unset_zero)
        required = info.is_required()
        if optional and not presence:
            problems.append(
                f"{where}: model allows None but proto field {fd.name!r} cannot be unset "
                "(declare it `optional`, or use a message or wrapper)"
            )
        if not presence and not required:
            default = info.get_default(call_default_factory=True)
            zero: object
            if isinstance(node, RepeatedT):
                zero = []
            elif isinstance(node, MapT):
                zero = {}
            elif isinstance(node, ScalarT):
                zero = _ZERO[node.py]
            else:
                zero = PydanticUndefined
            if default != zero or type(default) is not type(zero):
                problems.append(
                    f"{where}: default {default!r} differs from the proto zero value {zero!r} "
                    f"and proto field {fd.name!r} cannot be unset (declare it `optional`)"
                )
        return FieldPlan(
            model_name=name,
            proto_name=fd.name,
            type=node,
            presence=presence,
            has_field=has_field,
            required=required,
        )

    def _pair(
        self,
        annotation: Any,
        fd: FieldDescriptor,
        where: str,
        problems: list[str],
        metadata: list[Any] | None = None,
    ) -> TypeNode | None:
        """Pair a model annotation with a whole proto field (map, repeated or singular)."""
        metadata = [*(metadata or []), *_annotated_metadata(annotation)]
        annotation = _strip_annotated(annotation)
        origin = typing.get_origin(annotation)
        if _is_map(fd):
            entry = _message_type(fd)
            key_fd = entry.fields_by_name["key"]
            value_fd = entry.fields_by_name["value"]
            if origin is not dict:
                problems.append(f"{where}: proto map pairs with {_describe(annotation)}, not dict")
                return None
            key_ann, value_ann = typing.get_args(annotation)
            key = self._single(key_ann, key_fd, where + " (map key)", problems)
            value = self._single(value_ann, value_fd, where + " (map value)", problems)
            if not isinstance(key, ScalarT) or value is None:
                return None
            return MapT(key=key, value=value)
        if _is_repeated(fd):
            if origin is not list:
                problems.append(
                    f"{where}: proto repeated field pairs with {_describe(annotation)}, not list"
                )
                return None
            item = self._single(typing.get_args(annotation)[0], fd, where + " (item)", problems)
            return None if item is None else RepeatedT(item=item)
        return self._single(annotation, fd, where, problems, metadata)

    def _single(
        self,
        annotation: Any,
        fd: FieldDescriptor,
        where: str,
        problems: list[str],
        metadata: list[Any] | None = None,
    ) -> TypeNode | None:
        """Pair a model annotation with one value of the field's proto type."""
        metadata = [*(metadata or []), *_annotated_metadata(annotation)]
        annotation = _strip_annotated(annotation)
        if fd.type == FieldDescriptor.TYPE_MESSAGE:
            full_name = _message_type(fd).full_name
            json_shapes = {
                STRUCT: ("object", dict),
                LIST_VALUE: ("array", list),
                VALUE: ("any", None),
            }
            if full_name in json_shapes:
                shape, container = json_shapes[full_name]
                origin = typing.get_origin(annotation) or annotation
                ok = annotation is Any if container is None else origin is container
                if not ok:
                    problems.append(f"{where}: {full_name} pairs with {_describe(annotation)}")
                    return None
                return JsonT(shape=shape)
            message_cls = _message_class(fd)
            if full_name in self.wrappers:
                inner_fields = _message_type(fd).fields
                if len(inner_fields) != 1:
                    problems.append(f"{where}: wrapper {full_name} must have exactly one field")
                    return None
                inner = self._pair(
                    annotation, inner_fields[0], where + f" (in {full_name})", problems
                )
                if inner is None:
                    return None
                return WrapperT(message=message_cls, field_name=inner_fields[0].name, inner=inner)
            if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
                problems.append(
                    f"{where}: message {full_name} pairs with {_describe(annotation)}, "
                    "not a model (declare it a wrapper if it only wraps one field)"
                )
                return None
            return MessageT(plan=self.plan(annotation, message_cls, problems))
        if fd.type == FieldDescriptor.TYPE_ENUM:
            enum_type = fd.enum_type
            assert enum_type is not None
            if not (isinstance(annotation, type) and issubclass(annotation, Enum)):
                problems.append(
                    f"{where}: enum {enum_type.full_name} pairs with {_describe(annotation)}"
                )
                return None
            return self._enum(annotation, enum_type, where, problems)
        expected = _SCALAR_PY[fd.type]
        if annotation is not expected:
            problems.append(
                f"{where}: proto {_proto_type_name(fd)} pairs with {_describe(annotation)}, "
                f"expected {expected.__name__}"
            )
            return None
        node = ScalarT(proto_type=fd.type, py=expected)
        proto_range = node.int_range
        if proto_range is not None:
            low, high = _int_bounds(metadata)
            if low < proto_range[0] or high > proto_range[1]:
                problems.append(
                    f"{where}: model allows integers in [{low}, {high}] but proto "
                    f"{_proto_type_name(fd)} holds [{proto_range[0]}, {proto_range[1]}] "
                    "(add ge=/le= bounds to the model field)"
                )
        return node

    def _enum(
        self, enum: type[Enum], descriptor: EnumDescriptor, where: str, problems: list[str]
    ) -> EnumT | None:
        key = (enum, descriptor.full_name)
        if key in self._enums:
            return self._enums[key]
        prefix = _camel_to_upper_snake(descriptor.name) + "_"
        if not all(v.name.startswith(prefix) for v in descriptor.values):
            prefix = ""
        zero = descriptor.values_by_number.get(0)
        has_unset_zero = zero is not None and zero.name.endswith("UNSPECIFIED")
        proto_members = {
            v.name[len(prefix) :]: v.number
            for v in descriptor.values
            if not (has_unset_zero and v.number == 0)
        }
        py_members = {m.name: m for m in enum}
        missing_in_py = sorted(set(proto_members) - set(py_members))
        missing_in_proto = sorted(set(py_members) - set(proto_members))
        if missing_in_py or missing_in_proto:
            problems.append(
                f"{where}: enum {enum.__name__} <-> {descriptor.full_name} differ: "
                f"only in proto {missing_in_py}, only in model {missing_in_proto}"
            )
            return None
        node = EnumT(
            enum=enum,
            proto_name=descriptor.full_name,
            by_number={proto_members[n]: py_members[n] for n in proto_members},
            to_number={py_members[n]: proto_members[n] for n in proto_members},
            has_unset_zero=has_unset_zero,
        )
        self._enums[key] = node
        return node


def _is_repeated(fd: FieldDescriptor) -> bool:
    return bool(fd.is_repeated)


def _message_type(fd: FieldDescriptor) -> Descriptor:
    descriptor = fd.message_type
    if descriptor is None:
        raise TypeError(f"{fd.full_name} is not a message field")
    return descriptor


def _is_map(fd: FieldDescriptor) -> bool:
    return (
        _is_repeated(fd)
        and fd.type == FieldDescriptor.TYPE_MESSAGE
        and bool(_message_type(fd).GetOptions().map_entry)
    )


def _message_class(fd: FieldDescriptor) -> type[Message]:
    return message_factory.GetMessageClass(_message_type(fd))


def _proto_type_name(fd: FieldDescriptor) -> str:
    for name in dir(FieldDescriptor):
        if name.startswith("TYPE_") and getattr(FieldDescriptor, name) == fd.type:
            return name[5:].lower()
    return str(fd.type)
