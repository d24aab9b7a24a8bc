"""Helpers both SDK providers share: which HTTP statuses are worth retrying, the server's
own error message out of an error body, and whether a JSON Schema fits OpenAI's strict
structured-output subset."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from services.llm._base import LLMError, LLMOutputError

T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({408, 409, 429})
"""Besides every 5xx: request timeout, lock conflict, rate limit. The same statuses both
SDKs retry on their own (``_should_retry``), so ``LLMError.retryable`` agrees with them."""


def is_retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUSES or status >= 500


def server_message(body: object, fallback: str) -> str:
    """``error.message`` from an error body (OpenAI's ``{"error": {...}}`` or the inner
    object the SDK keeps, Anthropic's ``{"type": "error", "error": {...}}``); the raw
    text when the body is not that shape; ``fallback`` when there is nothing."""
    if isinstance(body, Mapping):
        error = body.get("error", body)
        if isinstance(error, Mapping):
            message = error.get("message")
            if isinstance(message, str) and message:
                return message
    if isinstance(body, str) and body.strip():
        return body.strip()[:500]
    return fallback


@dataclass(frozen=True, slots=True)
class SdkErrors:
    """One SDK's exception classes. Both official SDKs are generated from the same
    template, so they have the same tree under different names."""

    status: type[Exception]
    timeout: type[Exception]
    connection: type[Exception]
    validation: type[Exception]
    base: type[Exception]


async def call_sdk(
    provider: str,
    errors: SdkErrors,
    request: Callable[[], Awaitable[T]],
    describe_status: Callable[[Any], str],
) -> T:
    """The one place SDK errors become LLMError (after the SDK's own retries):
    ``describe_status(exc)`` words an error status (``HTTP 429: ...``)."""
    try:
        return await request()
    except errors.status as exc:
        status = int(getattr(exc, "status_code", 0))
        raise LLMError(
            provider, describe_status(exc), retryable=is_retryable_status(status)
        ) from exc
    except errors.timeout as exc:
        raise LLMError(provider, "request timed out", retryable=True) from exc
    except errors.connection as exc:
        message = getattr(exc, "message", str(exc))
        raise LLMError(provider, f"connection failed: {message}", retryable=True) from exc
    except json.JSONDecodeError as exc:
        # A 200 whose body is not JSON: the SDK lets the decoder's error through.
        raise LLMOutputError(provider, f"the response body is not JSON: {exc}") from exc
    except errors.validation as exc:
        message = getattr(exc, "message", str(exc))
        raise LLMOutputError(provider, f"unexpected response body: {message}") from exc
    except errors.base as exc:
        raise LLMError(provider, f"{type(exc).__name__}: {exc}") from exc


_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_ONES = ("items", "additionalProperties", "not", "if", "then", "else")


def is_strict_schema(schema: Mapping[str, Any]) -> bool:
    """True when every object in ``schema`` closes itself (``additionalProperties: false``)
    and lists all its properties as required: what OpenAI's ``strict: true`` structured
    output demands (it rejects the request otherwise). Schemas with optional fields are
    sent non-strict instead, and the caller validates the answer as it must anyway."""
    return _strict(schema)


def _strict(node: object) -> bool:
    if isinstance(node, bool):
        return True
    if not isinstance(node, Mapping):
        return False
    is_object = node.get("type") == "object" or "properties" in node
    if is_object:
        properties = node.get("properties", {})
        if not isinstance(properties, Mapping):
            return False
        if node.get("additionalProperties") is not False:
            return False
        if set(node.get("required", ())) != set(properties):
            return False
    for key in _SCHEMA_MAPS:
        children = node.get(key)
        if isinstance(children, Mapping) and not all(_strict(c) for c in children.values()):
            return False
    for key in _SCHEMA_LISTS:
        children = node.get(key)
        if isinstance(children, list) and not all(_strict(c) for c in children):
            return False
    for key in _SCHEMA_ONES:
        child = node.get(key)
        if child is not None and not _strict(child):
            return False
    return True
