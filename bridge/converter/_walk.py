"""The reference converter: a plain recursive walk that tracks the field path.

Slower than the generated code, but it checks every value and names the exact field
at fault, so the converter runs it when the fast path fails. Property tests also hold
the fast path to the same results as this walk.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from google.protobuf.message import Message
from pydantic import BaseModel

from bridge.converter import _json
from bridge.converter._schema import (
    EnumT,
    JsonT,
    MapT,
    MessagePlan,
    MessageT,
    RepeatedT,
    ScalarT,
    TypeNode,
    WrapperT,
)
from bridge.converter.errors import ConversionError, PathPart

Path = Sequence[PathPart]


# -- proto -> dict for model_validate -------------------------------------------------


def message_to_dict(plan: MessagePlan, message: Message, path: Path = ()) -> dict[str, Any]:
    if not isinstance(message, plan.message):
        raise ConversionError.at(
            path, f"expected {plan.message.DESCRIPTOR.full_name}, got {type(message).__name__}"
        )
    out: dict[str, Any] = {}
    for f in plan.fields:
        here = (*path, f.model_name)
        value = getattr(message, f.proto_name)
        if f.has_field and not message.HasField(f.proto_name):
            continue
        if f.presence and not f.has_field and value == 0:
            continue
        out[f.model_name] = _from(f.type, value, here)
    return out


def _from(node: TypeNode, value: Any, path: Path) -> Any:
    if isinstance(node, ScalarT):
        if isinstance(value, float) and not math.isfinite(value):
            raise ConversionError.at(path, f"{value!r} is not a finite number")
        return value
    if isinstance(node, EnumT):
        try:
            return node.by_number[value]
        except KeyError:
            raise ConversionError.at(
                path, f"{value} is not a known value of enum {node.proto_name}"
            ) from None
    if isinstance(node, JsonT):
        try:
            if node.shape == "object":
                return _json.struct_to_py(value)
            if node.shape == "array":
                return _json.list_to_py(value)
            return _json.value_to_py(value)
        except ValueError as exc:
            raise ConversionError.at(path, str(exc)) from None
    if isinstance(node, MessageT):
        return message_to_dict(node.plan, value, path)
    if isinstance(node, WrapperT):
        return _from(node.inner, getattr(value, node.field_name), path)
    if isinstance(node, RepeatedT):
        return [_from(node.item, item, (*path, i)) for i, item in enumerate(value)]
    assert isinstance(node, MapT)
    return {key: _from(node.value, item, (*path, key)) for key, item in value.items()}


# -- model -> constructor kwargs -------------------------------------------------------


def model_to_kwargs(plan: MessagePlan, model: BaseModel, path: Path = ()) -> dict[str, Any]:
    if not isinstance(model, plan.model):
        raise ConversionError.at(
            path, f"expected {plan.model.__name__}, got {type(model).__name__}"
        )
    out: dict[str, Any] = {}
    fields_set = model.model_fields_set
    values = model.__dict__
    for f in plan.fields:
        here = (*path, f.model_name)
        if f.model_name not in values:
            if f.required:
                raise ConversionError.at(here, "required field is missing")
            continue
        if f.presence and f.model_name not in fields_set:
            continue
        value = values[f.model_name]
        if value is None:
            if not f.presence:
                raise ConversionError.at(here, "must not be None")
            continue
        out[f.proto_name] = _to(f.type, value, here)
    return out


def _to(node: TypeNode, value: Any, path: Path) -> Any:
    if isinstance(node, ScalarT):
        return _scalar(node, value, path)
    if isinstance(node, EnumT):
        if not isinstance(value, node.enum):
            raise ConversionError.at(path, f"expected a {node.enum.__name__} member, got {value!r}")
        return node.to_number[value]
    if isinstance(node, JsonT):
        if node.shape == "object":
            return _json.check_json_object(value, path)
        if node.shape == "array":
            return _json.check_json_list(value, path)
        return _json.check_json(value, path)
    if isinstance(node, MessageT):
        return model_to_kwargs(node.plan, value, path)
    if isinstance(node, WrapperT):
        return {node.field_name: _to(node.inner, value, path)}
    if isinstance(node, RepeatedT):
        if not isinstance(value, list | tuple):
            raise ConversionError.at(path, f"expected a list, got {type(value).__name__}")
        return [_to(node.item, item, (*path, i)) for i, item in enumerate(value)]
    assert isinstance(node, MapT)
    if not isinstance(value, dict):
        raise ConversionError.at(path, f"expected a mapping, got {type(value).__name__}")
    out = {}
    for key, item in value.items():
        out[_scalar(node.key, key, (*path, str(key)))] = _to(node.value, item, (*path, key))
    return out


def _scalar(node: ScalarT, value: Any, path: Path) -> Any:
    if node.py is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif node.py is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, node.py)
    if not ok:
        raise ConversionError.at(
            path, f"expected {node.py.__name__}, got {type(value).__name__} {value!r}"
        )
    bounds = node.int_range
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        raise ConversionError.at(path, f"{value} is out of range [{bounds[0]}, {bounds[1]}]")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConversionError.at(path, f"{value!r} is not a finite number")
    return value
