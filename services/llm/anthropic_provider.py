"""The Anthropic provider, on the official ``anthropic`` SDK (the Messages API).

``structured`` uses tool use for structured output: one tool named ``task.name`` whose
``input_schema`` is ``task.schema``, forced with ``tool_choice={"type": "tool", "name":
task.name}``; the answer is that ``tool_use`` block's ``input``.

Two things of the current API shape what is sent (SDK 2.x speaks ``anthropic-version:
2026-10-21``): sampling parameters are gone (the SDK has no ``temperature`` and the API
rejects one), so ``temperature`` is accepted by the interface and not sent; and forced
tool use is refused by models that think up front by default (the Claude 5.5 family),
so the default model is one that takes a forced tool call. Choosing such a model with
``LLM_MODEL`` gives an ``LLMError`` carrying Anthropic's 400 message.

Retries (429, 5xx incl. 529 overloaded, timeouts, connection errors) are the SDK's own;
SDK errors become ``LLMError`` in one place (``_call``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anthropic
from anthropic.types import (
    Message,
    MessageParam,
    TextBlock,
    ToolChoiceToolParam,
    ToolParam,
    ToolUseBlock,
)

from services.llm._base import LLMOutputError, StructuredTask
from services.llm._schema import SdkErrors, call_sdk, server_message

DEFAULT_ANTHROPIC_MODEL = "claude-sonnet-4-6"
"""Current, and takes a forced tool call (no up-front thinking unless asked). Override
with ``LLM_MODEL``."""

DEFAULT_ANTHROPIC_MAX_TOKENS = 8192
"""The Messages API requires ``max_tokens``; this is used when ``LLM_MAX_TOKENS`` is unset."""

T = TypeVar("T")


class AnthropicProvider:
    name = "anthropic"

    def __init__(
        self,
        *,
        api_key: str,
        model: str = DEFAULT_ANTHROPIC_MODEL,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        max_tokens: int | None = None,
    ) -> None:
        self.model = model
        self.max_tokens = max_tokens or DEFAULT_ANTHROPIC_MAX_TOKENS
        self.client = anthropic.AsyncAnthropic(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )

    async def complete(
        self,
        prompt: str,
        *,
        system: str | None = None,
        model: str | None = None,
        temperature: float | None = None,
    ) -> str:
        message = await self._create(prompt, system=system, model=model)
        _check_stop(message, self.name, "the completion")
        texts = [
            text
            for block in _blocks(message, self.name)
            if isinstance(block, TextBlock)
            and isinstance(text := getattr(block, "text", None), str)
        ]
        if not "".join(texts).strip():
            raise LLMOutputError(self.name, "the answer has no text content")
        return "".join(texts)

    async def structured(self, task: StructuredTask) -> dict[str, Any]:
        tool: ToolParam = {
            "name": task.name,
            "description": f"Return the {task.name} result as this tool's input.",
            "input_schema": dict(task.schema),
        }
        message = await self._create(
            task.prompt,
            system=task.system,
            model=task.model,
            tools=[tool],
            tool_choice={"type": "tool", "name": task.name, "disable_parallel_tool_use": True},
        )
        _check_stop(message, self.name, repr(task.name))
        calls = [block for block in _blocks(message, self.name) if isinstance(block, ToolUseBlock)]
        if not calls:
            raise LLMOutputError(self.name, f"the answer to {task.name!r} has no tool_use block")
        called = getattr(calls[0], "name", None)
        if called != task.name:
            raise LLMOutputError(self.name, f"the answer called tool {called!r}, not {task.name!r}")
        value = getattr(calls[0], "input", None)
        if not isinstance(value, dict):
            raise LLMOutputError(
                self.name,
                f"the {task.name!r} tool input is {type(value).__name__}, not an object",
            )
        return value

    async def aclose(self) -> None:
        await self.client.close()

    async def _create(
        self,
        prompt: str,
        *,
        system: str | None,
        model: str | None,
        tools: list[ToolParam] | anthropic.Omit = anthropic.omit,
        tool_choice: ToolChoiceToolParam | anthropic.Omit = anthropic.omit,
    ) -> Message:
        messages: list[MessageParam] = [{"role": "user", "content": prompt}]
        return await self._call(
            lambda: self.client.messages.create(
                model=model or self.model,
                max_tokens=self.max_tokens,
                messages=messages,
                system=system if system else anthropic.omit,
                tools=tools,
                tool_choice=tool_choice,
            )
        )

    async def _call(self, request: Callable[[], Awaitable[T]]) -> T:
        return await call_sdk(self.name, _ERRORS, request, _describe_status)


def _blocks(message: Message, provider: str) -> list[Any]:
    """The content blocks, checked: the SDK does not validate response bodies, so a body
    without ``content`` reaches us as a model missing the field."""
    content = getattr(message, "content", None)
    if not isinstance(content, list):
        raise LLMOutputError(provider, "the response has no content blocks")
    return content


def _check_stop(message: Message, provider: str, what: str) -> None:
    reason = getattr(message, "stop_reason", None)
    if reason == "refusal":
        raise LLMOutputError(provider, f"the model refused {what}")
    if reason == "max_tokens":
        raise LLMOutputError(provider, f"{what} was cut at max tokens")


_ERRORS = SdkErrors(
    status=anthropic.APIStatusError,
    timeout=anthropic.APITimeoutError,
    connection=anthropic.APIConnectionError,
    validation=anthropic.APIResponseValidationError,
    base=anthropic.AnthropicError,
)


def _describe_status(exc: anthropic.APIStatusError) -> str:
    message = exc.api_message or server_message(exc.body, exc.message)
    kind = f" ({exc.type})" if exc.type else ""
    return f"HTTP {exc.status_code}{kind}: {message}"
