"""google.protobuf.Struct / Value / ListValue <-> plain JSON-like Python values.

Numbers in a Struct are doubles. Integral doubles come back as ``int`` (JSON has one
number type, and a workflow payload's ``3`` should stay ``3``); integers that a double
cannot hold exactly, and non-finite floats, are refused instead of silently altered.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from google.protobuf import struct_pb2

from bridge.converter.errors import ConversionError, PathPart

MAX_SAFE_INT = 2**53
"""Largest integer magnitude a double (Struct number_value) holds exactly."""


def struct_to_py(struct: struct_pb2.Struct) -> dict[str, Any]:
    # Keys, then one lookup each: a upb map's items() goes through the generic
    # ItemsView, ~15% slower over a 50-node workflow's 1,300 values.
    fields = struct.fields
    return {key: value_to_py(fields[key]) for key in fields}


def list_to_py(values: struct_pb2.ListValue) -> list[Any]:
    return [value_to_py(value) for value in values.values]


def value_to_py(value: struct_pb2.Value) -> Any:
    # Most frequent kinds first (a workflow is mostly strings and objects).
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "struct_value":
        return struct_to_py(value.struct_value)
    if kind == "list_value":
        return list_to_py(value.list_value)
    if kind == "number_value":
        number = value.number_value
        if not math.isfinite(number):
            raise ValueError(f"{number!r} is not a finite number")
        # -0.0 is integral too, but int() would drop its sign.
        if number.is_integer() and abs(number) <= MAX_SAFE_INT and math.copysign(1, number) > 0:
            return int(number)
        return number
    if kind == "bool_value":
        return value.bool_value
    if kind == "null_value":
        return None
    raise ValueError("google.protobuf.Value has no kind set")


def check_json(value: Any, path: Sequence[PathPart] = ()) -> Any:
    """Return ``value`` if a Struct can carry it exactly, else raise ConversionError."""
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INT:
            raise ConversionError.at(
                path, f"integer {value} does not fit a JSON number exactly (|n| <= 2**53)"
            )
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConversionError.at(path, f"{value!r} is not a finite number")
        return value
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ConversionError.at(path, f"object key {key!r} is not a string")
            check_json(item, (*path, key))
        return value
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_json(item, (*path, index))
        return value
    raise ConversionError.at(path, f"{type(value).__name__} is not a JSON value")


def check_json_object(value: Any, path: Sequence[PathPart] = ()) -> Any:
    if not isinstance(value, dict):
        raise ConversionError.at(path, f"expected a JSON object, got {type(value).__name__}")
    return check_json(value, path)


def check_json_list(value: Any, path: Sequence[PathPart] = ()) -> Any:
    if not isinstance(value, list | tuple):
        raise ConversionError.at(path, f"expected a JSON array, got {type(value).__name__}")
    return check_json(value, path)
