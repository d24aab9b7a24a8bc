"""Hypothesis strategies derived from Pydantic models: valid data for any contract model.

Generic: a model's field annotations and their constraints (lengths, bounds, patterns,
whitespace stripping) give the strategy, so a new message needs no new test code. Each
optional field is sometimes left out, so every presence combination is generated. The
one cross-field rule (node ids unique, edges between existing nodes) has an override.
"""

from __future__ import annotations

import enum
import types
import typing
from typing import Annotated, Any, Union

import annotated_types
from hypothesis import strategies as st
from pydantic import BaseModel
from pydantic.fields import FieldInfo

MAX_SAFE_INT = 2**53

TEXT = st.characters(codec="utf-8", exclude_categories=("Cs",))

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE_INT, MAX_SAFE_INT)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(TEXT, max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(TEXT, max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
json_objects = st.dictionaries(st.text(TEXT, max_size=6), json_values, max_size=4)


def _metadata(tp: Any) -> tuple[Any, list[Any]]:
    out: list[Any] = []
    while typing.get_origin(tp) is Annotated:
        tp, *extra = typing.get_args(tp)
        for item in extra:
            out.extend(item.metadata if isinstance(item, FieldInfo) else [item])
    return tp, out


def _constraint(meta: list[Any], name: str) -> Any:
    found = None
    for item in meta:
        value = getattr(item, name, None)
        if value is not None:
            found = value
    return found


def for_annotation(tp: Any, meta: list[Any] | None = None) -> st.SearchStrategy[Any]:
    tp, inner = _metadata(tp)
    meta = [*(meta or []), *inner]
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return st.none() | for_annotation(args[0], meta)
    if tp is Any:
        return json_values
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return model_data(tp)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from(list(tp))
    min_len = _constraint(meta, "min_length") or 0
    max_len = _constraint(meta, "max_length")
    if origin is list:
        (item,) = typing.get_args(tp)
        return st.lists(
            for_annotation(item), min_size=min_len, max_size=min(max_len or 3, min_len + 3)
        )
    if origin is dict:
        key, value = typing.get_args(tp)
        if value is Any:
            return json_objects
        return st.dictionaries(for_annotation(key), for_annotation(value), max_size=3)
    if tp is bool:
        return st.booleans()
    if tp is int:
        low = _constraint(meta, "ge")
        high = _constraint(meta, "le")
        return st.integers(low, high)
    if tp is float:
        return st.floats(
            min_value=_constraint(meta, "ge"),
            max_value=_constraint(meta, "le"),
            allow_nan=False,
            allow_infinity=False,
        )
    if tp is bytes:
        return st.binary(max_size=8)
    if tp is str:
        pattern = _constraint(meta, "pattern")
        strip = bool(_constraint(meta, "strip_whitespace"))
        cap = min(max_len or 12, max(min_len, 12))
        if pattern:
            base = st.from_regex(pattern, fullmatch=True)
        else:
            base = st.text(TEXT, min_size=min_len, max_size=cap)
        if strip:
            base = base.map(str.strip)
        return base.filter(lambda s: min_len <= len(s) <= (max_len or len(s)))
    raise TypeError(f"no strategy for {tp!r}")


def _field_strategy(info: FieldInfo) -> st.SearchStrategy[Any]:
    return for_annotation(info.annotation, list(info.metadata))


@st.composite
def _graph(draw: st.DrawFn, model: type[BaseModel]) -> dict[str, Any]:
    """Nodes with unique ids and edges between them, plus the model's other fields."""
    fields = model.model_fields
    data = draw(_plain_model_data(model, exclude=frozenset({"nodes", "connections"})))
    nodes_info = fields["nodes"]
    nodes_optional = not nodes_info.is_required()
    if nodes_optional and draw(st.booleans()):
        if draw(st.booleans()):
            data["connections"] = draw(
                _field_strategy(fields["connections"]).filter(lambda v: v is not None)
            )
        return data
    node_model = next(
        a
        for a in _flatten_types(nodes_info.annotation)
        if isinstance(a, type) and issubclass(a, BaseModel)
    )
    nodes = draw(
        st.lists(model_data(node_model), min_size=1, max_size=4, unique_by=lambda n: n["id"])
    )
    data["nodes"] = nodes
    ids = [n["id"] for n in nodes]
    edges = draw(
        st.dictionaries(
            st.sampled_from(ids),
            st.dictionaries(
                st.sampled_from(["main", "error"]),
                st.lists(
                    st.fixed_dictionaries(
                        {"node": st.sampled_from(ids), "type": st.just("main")},
                        optional={"index": st.integers(0, 3)},
                    ),
                    max_size=2,
                ),
                max_size=2,
            ),
            max_size=len(ids),
        )
    )
    if edges or draw(st.booleans()):
        data["connections"] = edges
    return data


def _flatten_types(tp: Any) -> list[Any]:
    tp, _ = _metadata(tp)
    args = typing.get_args(tp)
    return [tp, *[t for a in args for t in _flatten_types(a)]]


def _plain_model_data(
    model: type[BaseModel], exclude: frozenset[str] = frozenset()
) -> st.SearchStrategy[dict[str, Any]]:
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for name, info in model.model_fields.items():
        if name in exclude:
            continue
        (required if info.is_required() else optional)[name] = _field_strategy(info)
    return st.fixed_dictionaries(required, optional=optional)


def model_data(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    """Data that ``model.model_validate`` accepts (keys of optional fields may be absent)."""
    if {"nodes", "connections"} <= set(model.model_fields):
        return _graph(model)
    return _plain_model_data(model)


_ = annotated_types  # constraints are read by attribute name; imported for clarity
