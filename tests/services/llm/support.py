"""Schemas and a task shared by the provider tests."""

from __future__ import annotations

from typing import Any

from services.llm import StructuredTask

TIMEOUT = 0.3
"""Client timeout of the providers under test (seconds); delays in tests exceed it."""

CLOSED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "steps": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"id": {"type": "string"}, "kind": {"type": "string"}},
                "required": ["id", "kind"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["name", "steps"],
    "additionalProperties": False,
}
"""Fits OpenAI's strict subset: every object closed, every property required."""

OPEN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "note": {"type": "string"}},
    "required": ["name"],
}
"""Has an optional property: not strict-compatible."""


def task(schema: dict[str, Any] = CLOSED_SCHEMA, **overrides: Any) -> StructuredTask:
    fields: dict[str, Any] = {
        "name": "workflow_draft",
        "system": "You draft workflows.",
        "prompt": "Every hour, fetch the weather.",
        "schema": schema,
    }
    return StructuredTask(**{**fields, **overrides})
