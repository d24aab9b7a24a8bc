"""The strict-subset check that decides OpenAI's ``strict`` flag, and error-body parsing."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from services.llm._schema import is_retryable_status, is_strict_schema, server_message
from tests.services.llm.support import CLOSED_SCHEMA, OPEN_SCHEMA


def closed(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
        **extra,
    }


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    kind: str


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    steps: list[Step]


class LoosePlan(BaseModel):
    name: str
    note: str | None = None


@pytest.mark.parametrize(
    ("schema", "strict"),
    [
        (CLOSED_SCHEMA, True),
        (OPEN_SCHEMA, False),
        (closed({}), True),
        ({"type": "object", "properties": {}}, False),  # not closed
        (closed({"a": {"type": "string"}}, required=[]), False),  # a is optional
        (closed({"a": closed({"b": {"type": "string"}})}), True),
        (closed({"a": {"type": "object", "properties": {"b": {"type": "string"}}}}), False),
        (closed({"a": {"anyOf": [{"type": "string"}, {"type": "null"}]}}), True),
        (closed({"a": {"anyOf": [{"type": "object", "properties": {}}]}}), False),
        (closed({"a": {"$ref": "#/$defs/X"}}, **{"$defs": {"X": closed({})}}), True),
        (closed({"a": {"$ref": "#/$defs/X"}}, **{"$defs": {"X": {"properties": {}}}}), False),
        (closed({"a": {"type": "array", "items": {"type": "object", "properties": {}}}}), False),
        (Plan.model_json_schema(), True),
        (LoosePlan.model_json_schema(), False),
    ],
)
def test_strict_only_when_every_object_is_closed_and_fully_required(
    schema: dict[str, Any], strict: bool
) -> None:
    assert is_strict_schema(schema) is strict


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(400, False), (401, False), (403, False), (404, False), (422, False),
     (408, True), (409, True), (429, True), (500, True), (502, True), (529, True)],
)  # fmt: skip
def test_retryable_statuses_match_the_sdks_retry_policy(status: int, retryable: bool) -> None:
    assert is_retryable_status(status) is retryable


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"error": {"message": "outer", "type": "x"}}, "outer"),  # OpenAI on the wire
        ({"message": "inner", "type": "x"}, "inner"),  # what the openai SDK keeps
        ({"type": "error", "error": {"type": "api_error", "message": "anth"}}, "anth"),
        ("  <html>down</html> ", "<html>down</html>"),
        ({"error": "just a string"}, "fallback"),
        (None, "fallback"),
        ("", "fallback"),
    ],
)
def test_server_message(body: object, expected: str) -> None:
    assert server_message(body, "fallback") == expected
