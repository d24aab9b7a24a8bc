"""Errors of the converter, and the field-violation shape shared with the error model.

``ConversionError`` is the one exception a caller of ``Converter.to_proto`` /
``Converter.from_proto`` has to handle: a structural problem (unknown enum number,
missing required message, wrong type, number out of range) and a failed Pydantic
validation both raise it, each violation carrying the path of the field at fault.
``ContractError`` is a programming error: a model and a proto message that disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import ValidationError

PathPart = str | int


def format_path(parts: Iterable[PathPart]) -> str:
    """``("nodes", 3, "position", "x")`` -> ``"nodes[3].position.x"``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One thing wrong with one field: the same shape on gRPC and HTTP."""

    field: str
    description: str


def violations_from_validation_error(exc: ValidationError) -> list[FieldViolation]:
    """One violation per Pydantic error, with the field path in ``format_path`` form."""
    return [
        FieldViolation(field=format_path(err["loc"]), description=err["msg"])
        for err in exc.errors(include_url=False)
    ]


class ConversionError(ValueError):
    """A message or model could not be converted; ``violations`` say where and why."""

    def __init__(self, violations: Sequence[FieldViolation]) -> None:
        self.violations = list(violations)
        super().__init__("; ".join(f"{v.field or '<root>'}: {v.description}" for v in violations))

    @classmethod
    def at(cls, path: Sequence[PathPart], description: str) -> ConversionError:
        return cls([FieldViolation(format_path(path), description)])

    @property
    def path(self) -> str:
        """Path of the first violation."""
        return self.violations[0].field if self.violations else ""

    def prefixed(self, prefix: Sequence[PathPart]) -> ConversionError:
        """The same error with every path moved under ``prefix``."""
        head = format_path(prefix)
        out = []
        for v in self.violations:
            if not v.field:
                field = head
            elif v.field.startswith("["):
                field = head + v.field
            else:
                field = f"{head}.{v.field}" if head else v.field
            out.append(FieldViolation(field, v.description))
        return ConversionError(out)


class ContractError(TypeError):
    """A Pydantic model and a proto message disagree; the message lists every mismatch."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("contract mismatch:\n  " + "\n  ".join(self.problems))
