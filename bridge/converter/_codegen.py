"""Compile conversion plans into plain Python functions (the fast path).

For each message plan two functions are generated from the schema, once, the way
cattrs and attrs do: ``_f<N>(message) -> dict`` reads a proto message into the dict that
``Model.model_validate`` takes, and ``_g<N>(dumped) -> kwargs`` turns the output of
``model.model_dump(exclude_unset=True)`` into keyword arguments for the message
constructor (enum numbers, wrapper nesting, renamed fields, JSON checks). The generated
code is what one would write by hand for each message, so it runs as fast as hand-written
code, but nobody writes or maintains it. It carries no error paths: when it fails, the
converter re-runs the reference walker (``_walk``), which reports the exact field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bridge.converter import _json
from bridge.converter._schema import (
    EnumT,
    FieldPlan,
    JsonT,
    MapT,
    MessagePlan,
    MessageT,
    RepeatedT,
    ScalarT,
    TypeNode,
    WrapperT,
)

_FROM_JSON = {"object": "_struct_to_py", "array": "_list_to_py", "any": "_value_to_py"}
_TO_JSON = {"object": "_check_json_object", "array": "_check_json_list", "any": "_check_json"}


class CodeGenerator:
    """Owns the namespace the generated functions live in (they call each other by name)."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {
            "_struct_to_py": _json.struct_to_py,
            "_list_to_py": _json.list_to_py,
            "_value_to_py": _json.value_to_py,
            "_check_json_object": _json.check_json_object,
            "_check_json_list": _json.check_json_list,
            "_check_json": _json.check_json,
        }
        self._needs_fixup: dict[int, bool] = {}
        self._compiled: set[int] = set()
        self.sources: dict[str, str] = {}

    # -- public ---------------------------------------------------------------------

    def compile(self, plan: MessagePlan) -> None:
        """Generate the functions of ``plan`` and of every plan it reaches."""
        pending = [plan]
        while pending:
            current = pending.pop()
            if current.index in self._compiled:
                continue
            self._compiled.add(current.index)
            self._define(f"_f{current.index}", self._from_source(current))
            self._define(f"_g{current.index}", self._to_source(current))
            pending.extend(_children(current))

    def from_proto(self, plan: MessagePlan) -> Callable[[Any], dict[str, Any]]:
        fn: Callable[[Any], dict[str, Any]] = self.namespace[f"_f{plan.index}"]
        return fn

    def to_kwargs(self, plan: MessagePlan) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
        """The fixup function, or None when the dump can go to the constructor as it is."""
        if not self.needs_fixup(plan):
            return None
        fn: Callable[[dict[str, Any]], dict[str, Any]] = self.namespace[f"_g{plan.index}"]
        return fn

    def needs_fixup(self, plan: MessagePlan) -> bool:
        if plan.index not in self._needs_fixup:
            self._needs_fixup[plan.index] = True  # assume so while recursing
            self._needs_fixup[plan.index] = any(
                f.required
                or f.model_name != f.proto_name
                or _prunable(f)
                or self._fix_expr(f.type, "v", 0) is not None
                for f in plan.fields
            )
        return self._needs_fixup[plan.index]

    # -- generation -----------------------------------------------------------------

    def _define(self, name: str, source: str) -> None:
        self.sources[name] = source
        exec(compile(source, f"<converter {name}>", "exec"), self.namespace)

    def _ref(self, prefix: str, key: int, value: object) -> str:
        name = f"{prefix}{key}"
        self.namespace[name] = value
        return name

    def _from_source(self, plan: MessagePlan) -> str:
        # Fields read unconditionally go into one dict literal; the rest are added only
        # when set (presence) or non-empty (containers), so model defaults apply and the
        # model's fields_set mirrors what the message carried.
        literal: list[str] = []
        conditional: list[str] = []
        for f in plan.fields:
            src = f"m.{f.proto_name}"
            if f.has_field:
                conditional += [
                    f"    if has({f.proto_name!r}):",
                    f"        v = {src}",
                    f"        d[{f.model_name!r}] = {self._from_expr(f.type, 'v', 0)}",
                ]
            elif f.presence or _prunable(f):  # enum zero / empty container = not sent
                conditional += [
                    f"    v = {src}",
                    "    if v:",
                    f"        d[{f.model_name!r}] = {self._from_expr(f.type, 'v', 0)}",
                ]
            else:
                literal.append(f"{f.model_name!r}: {self._from_expr(f.type, src, 0)}")
        head = [f"def _f{plan.index}(m):"]
        if any(f.has_field for f in plan.fields):
            head.append("    has = m.HasField")
        body = [*head, f"    d = {{{', '.join(literal)}}}", *conditional]
        body.append("    return d")
        return "\n".join(body) + "\n"

    def _from_expr(self, node: TypeNode, src: str, depth: int) -> str:
        if isinstance(node, ScalarT):
            return src
        if isinstance(node, EnumT):
            return f"{self._ref('_eb', id(node), node.by_number)}[{src}]"
        if isinstance(node, JsonT):
            return f"{_FROM_JSON[node.shape]}({src})"
        if isinstance(node, MessageT):
            if src.isidentifier() and _inlinable(node.plan):
                items = ", ".join(
                    f"{f.model_name!r}: {src}.{f.proto_name}" for f in node.plan.fields
                )
                return f"{{{items}}}"
            return f"_f{node.plan.index}({src})"
        if isinstance(node, WrapperT):
            return self._from_expr(node.inner, f"{src}.{node.field_name}", depth)
        if isinstance(node, RepeatedT):
            if isinstance(node.item, ScalarT):
                return f"{src}[:]"
            x = f"x{depth}"
            return f"[{self._from_expr(node.item, x, depth + 1)} for {x} in {src}]"
        # Maps: `{k: mp[k] for k in mp}` is about twice as fast as `.items()` on upb maps;
        # `for mp in [src]` binds the source once (CPython compiles it to an assignment).
        k, mp = f"k{depth}", f"mp{depth}"
        value = self._from_expr(node.value, f"{mp}[{k}]", depth + 1)
        return f"{{{k}: {value} for {mp} in [{src}] for {k} in {mp}}}"

    def _to_source(self, plan: MessagePlan) -> str:
        body = [f"def _g{plan.index}(d):"]
        required = frozenset(f.model_name for f in plan.fields if f.required)
        if required:
            # A model built with model_construct may lack a required field; the dump
            # would silently omit it. Let the reference walk report it instead.
            body += [
                f"    if not {self._ref('_rq', plan.index, required)} <= d.keys():",
                "        raise KeyError('required field missing')",
            ]
        for f in plan.fields:
            expr = self._fix_expr(f.type, "v", 0)
            name = repr(f.model_name)
            if _prunable(f):
                # Empty non-presence containers mean the same as absent ones and cost
                # the upb constructor ~0.4 us each: leave them out.
                body += [f"    v = d.get({name})", "    if v is not None:"]
                if expr is not None:
                    body += ["        if v:", f"            d[{name}] = {expr}", "        else:"]
                    body.append(f"            del d[{name}]")
                else:
                    body += ["        if not v:", f"            del d[{name}]"]
            elif expr is not None:
                body += [
                    f"    v = d.get({name})",
                    "    if v is not None:",
                    f"        d[{name}] = {expr}",
                ]
            if f.model_name != f.proto_name:
                body.append(f"    if {name} in d:")
                body.append(f"        d[{f.proto_name!r}] = d.pop({name})")
        body.append("    return d")
        return "\n".join(body) + "\n"

    def _fix_expr(self, node: TypeNode, src: str, depth: int) -> str | None:
        if isinstance(node, ScalarT):
            return None
        if isinstance(node, EnumT):
            return f"{self._ref('_en', id(node), node.to_number)}[{src}]"
        if isinstance(node, JsonT):
            return f"{_TO_JSON[node.shape]}({src})"
        if isinstance(node, MessageT):
            return f"_g{node.plan.index}({src})" if self.needs_fixup(node.plan) else None
        if isinstance(node, WrapperT):
            inner = self._fix_expr(node.inner, src, depth) or src
            return f"{{{node.field_name!r}: {inner}}}"
        if isinstance(node, RepeatedT):
            x = f"x{depth}"
            item = self._fix_expr(node.item, x, depth + 1)
            return None if item is None else f"[{item} for {x} in {src}]"
        assert isinstance(node, MapT)
        k, v = f"k{depth}", f"v{depth}"
        value = self._fix_expr(node.value, v, depth + 1)
        return None if value is None else f"{{{k}: {value} for {k}, {v} in {src}.items()}}"


def _prunable(f: FieldPlan) -> bool:
    """A repeated/map field without presence: empty and absent are the same on the wire."""
    return isinstance(f.type, RepeatedT | MapT) and not f.presence and not f.required


def _inlinable(plan: MessagePlan) -> bool:
    """Small messages of plain always-present scalars are read inline, without a call."""
    return all(isinstance(f.type, ScalarT) and not f.presence for f in plan.fields)


def _children(plan: MessagePlan) -> list[MessagePlan]:
    out: list[MessagePlan] = []

    def visit(node: TypeNode) -> None:
        if isinstance(node, MessageT):
            out.append(node.plan)
        elif isinstance(node, WrapperT):
            visit(node.inner)
        elif isinstance(node, RepeatedT):
            visit(node.item)
        elif isinstance(node, MapT):
            visit(node.value)

    for f in plan.fields:
        visit(f.type)
    return out
