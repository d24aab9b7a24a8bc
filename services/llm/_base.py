"""The one small interface every LLM provider implements, and its errors.

Two calls: ``complete`` for free text (the engine's AI node) and ``structured`` for a JSON
object that follows a schema (the agent's drafting and refinement). A structured call is
a ``StructuredTask``: the prompt and schema a real model reads, plus the same request as
plain data (``inputs``) for the offline provider, which has no model to read prose.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class LLMError(Exception):
    """The provider could not answer: connection failure, timeout, error status, quota."""

    def __init__(self, provider: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.retryable = retryable


class LLMOutputError(LLMError):
    """The provider answered, but not with what was asked (not JSON, no tool call...)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StructuredTask:
    name: str
    """Short identifier, e.g. ``workflow_draft``; the tool / schema name sent to the model."""
    system: str
    prompt: str
    schema: Mapping[str, Any]
    """JSON Schema of the object to return (an ``object`` at the top level)."""
    inputs: Mapping[str, Any] = field(default_factory=dict)
    """The request as data, for providers that do not read prose (the offline one)."""
    model: str | None = None
    temperature: float | None = None


class LLMProvider(Protocol):
    name: str
    """``offline``, ``openai`` or ``anthropic``."""
    model: str
    """The default model this provider calls."""

    async def complete(
        self,
        prompt: str,
        *,
        system: str | None = None,
        model: str | None = None,
        temperature: float | None = None,
    ) -> str:
        """Free text. Raises LLMError on provider failure."""
        ...

    async def structured(self, task: StructuredTask) -> dict[str, Any]:
        """A JSON object for ``task.schema``. Raises LLMError on provider failure and
        LLMOutputError when the answer is not a JSON object. The caller validates the
        object's content (the schema is guidance to the model, not a guarantee)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
