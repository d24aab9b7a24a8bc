"""Proto message <-> Pydantic model conversion, generic and schema-driven.

    converter = Converter(wrappers={"pkg.v1.ConnectionArray", ...})
    message = converter.to_proto(model, pkg_pb2.Workflow)
    model = converter.from_proto(message, Workflow)

The first use of a model/message pair builds its plan (checking that both sides agree:
see ``_schema``) and compiles it into Python functions (``_codegen``); later calls run
those. Every failure is a ``ConversionError`` whose violations name the field path.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from google.protobuf.message import Message
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticSerializationError

from bridge.converter import _walk
from bridge.converter._codegen import CodeGenerator
from bridge.converter._schema import MessagePlan, PlanBuilder, ProtoName
from bridge.converter.errors import (
    ContractError,
    ConversionError,
    FieldViolation,
    format_path,
    violations_from_validation_error,
)

M = TypeVar("M", bound=Message)
B = TypeVar("B", bound=BaseModel)

__all__ = [
    "ContractError",
    "ConversionError",
    "Converter",
    "FieldViolation",
    "ProtoName",
    "format_path",
    "violations_from_validation_error",
]


class Converter:
    """Converts between proto messages and Pydantic models; one per contract."""

    def __init__(self, *, wrappers: Iterable[str] = ()) -> None:
        self.wrappers = frozenset(wrappers)
        self._builder = PlanBuilder(self.wrappers)
        self._codegen = CodeGenerator()
        self._checked: dict[tuple[type[BaseModel], type[Message]], MessagePlan] = {}

    def plan(self, model: type[BaseModel], message: type[Message]) -> MessagePlan:
        """The compiled plan for a pair; raises ContractError if the two disagree."""
        key = (model, message)
        plan = self._checked.get(key)
        if plan is None:
            problems: list[str] = []
            plan = self._builder.plan(model, message, problems)
            if problems:
                # Forget the partial plans so a corrected pair can be checked again.
                self._builder.plans.clear()
                raise ContractError(problems)
            self._codegen.compile(plan)
            self._checked[key] = plan
        return plan

    def check(self, model: type[BaseModel], message: type[Message]) -> None:
        """Raise ContractError if ``model`` and ``message`` do not agree field by field."""
        self.plan(model, message)

    def to_proto(self, model: BaseModel, message: type[M]) -> M:
        """Model -> message. Fields the model left at their default stay unset where the
        proto tracks presence, so proto -> model -> proto is exact."""
        plan = self.plan(type(model), message)
        fixup = self._codegen.to_kwargs(plan)
        try:
            # model_dump minus its Python wrapper: this runs on every call.
            kwargs = model.__pydantic_serializer__.to_python(
                model, exclude_unset=True, exclude_none=True, warnings="error"
            )
            if fixup is not None:
                kwargs = fixup(kwargs)
            return message(**kwargs)
        except (ConversionError, KeyError, TypeError, ValueError, PydanticSerializationError):
            # Slow path: find the field at fault (raises); if the walk finds nothing
            # wrong, its result is a valid constructor input.
            return message(**_walk.model_to_kwargs(plan, model))

    def from_proto(self, message: Message, model: type[B]) -> B:
        """Message -> validated model. Structural problems and validation failures both
        raise ConversionError with one violation per field."""
        plan = self.plan(model, type(message))
        try:
            data = self._codegen.from_proto(plan)(message)
        except Exception:
            data = _walk.message_to_dict(plan, message)
        return self.validate(model, data)

    @staticmethod
    def validate(model: type[B], data: dict[str, Any]) -> B:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise ConversionError(violations_from_validation_error(exc)) from exc

    def generated_source(self, model: type[BaseModel], message: type[Message]) -> str:
        """The generated functions for a pair (for debugging and docs)."""
        plan = self.plan(model, message)
        return "\n".join(
            self._codegen.sources[name] for name in (f"_f{plan.index}", f"_g{plan.index}")
        )
