"""The OpenAI provider, on the official ``openai`` SDK (chat completions).

``structured`` asks for Structured Outputs: ``response_format={"type": "json_schema",
"json_schema": {"name", "schema", "strict"}}`` and parses the message content as JSON.
``strict`` is true only when the schema fits the strict subset (every object closed with
``additionalProperties: false`` and all its properties required, see
``is_strict_schema``); OpenAI rejects a strict request whose schema does not, so a schema
with optional fields goes non-strict and the caller validates the object, as the
``LLMProvider`` contract says it must anyway.

Retries (429, 5xx, timeouts, connection errors) are the SDK's own, with backoff and
``Retry-After``; ``max_retries`` sets how many. SDK errors become ``LLMError`` here, in
one place (``_call``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import openai
from openai.types.chat import ChatCompletion, ChatCompletionMessage, ChatCompletionMessageParam
from openai.types.shared_params import ResponseFormatJSONSchema

from services.llm._base import LLMOutputError, StructuredTask
from services.llm._schema import SdkErrors, call_sdk, is_strict_schema, server_message

DEFAULT_OPENAI_MODEL = "gpt-5.4-mini"
"""A small current model with Structured Outputs (the substitute OpenAI names for its
retired minis). Override with ``LLM_MODEL``."""

T = TypeVar("T")


class OpenAIProvider:
    name = "openai"

    def __init__(
        self,
        *,
        api_key: str,
        model: str = DEFAULT_OPENAI_MODEL,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        max_tokens: int | None = None,
    ) -> None:
        self.model = model
        self.max_tokens = max_tokens
        self.client = openai.AsyncOpenAI(
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
        completion = await self._create(
            _messages(system, prompt), model=model, temperature=temperature
        )
        message = _first_message(completion, self.name)
        if message.refusal:
            raise LLMOutputError(self.name, f"the model refused: {message.refusal}")
        if not isinstance(message.content, str) or not message.content:
            raise LLMOutputError(self.name, "the answer has no text content")
        return message.content

    async def structured(self, task: StructuredTask) -> dict[str, Any]:
        schema = dict(task.schema)
        response_format: ResponseFormatJSONSchema = {
            "type": "json_schema",
            "json_schema": {
                "name": task.name,
                "schema": schema,
                "strict": is_strict_schema(schema),
            },
        }
        completion = await self._create(
            _messages(task.system, task.prompt),
            model=task.model,
            temperature=task.temperature,
            response_format=response_format,
        )
        message = _first_message(completion, self.name)
        if message.refusal:
            raise LLMOutputError(self.name, f"the model refused {task.name!r}: {message.refusal}")
        if getattr(completion.choices[0], "finish_reason", None) == "length":
            raise LLMOutputError(self.name, f"the answer to {task.name!r} was cut at max tokens")
        if not isinstance(message.content, str) or not message.content.strip():
            raise LLMOutputError(self.name, f"the answer to {task.name!r} is empty")
        try:
            value = json.loads(message.content)
        except json.JSONDecodeError as exc:
            raise LLMOutputError(
                self.name, f"the answer to {task.name!r} is not JSON: {exc}"
            ) from exc
        if not isinstance(value, dict):
            raise LLMOutputError(
                self.name,
                f"the answer to {task.name!r} is JSON {type(value).__name__}, not an object",
            )
        return value

    async def aclose(self) -> None:
        await self.client.close()

    async def _create(
        self,
        messages: list[ChatCompletionMessageParam],
        *,
        model: str | None,
        temperature: float | None,
        response_format: ResponseFormatJSONSchema | openai.Omit = openai.omit,
    ) -> ChatCompletion:
        # temperature and max tokens go out only when set: GPT-5-family models reject a
        # temperature other than their default.
        return await self._call(
            lambda: self.client.chat.completions.create(
                model=model or self.model,
                messages=messages,
                temperature=openai.omit if temperature is None else temperature,
                max_completion_tokens=openai.omit if self.max_tokens is None else self.max_tokens,
                response_format=response_format,
            )
        )

    async def _call(self, request: Callable[[], Awaitable[T]]) -> T:
        return await call_sdk(
            self.name,
            _ERRORS,
            request,
            lambda exc: f"HTTP {exc.status_code}: {server_message(exc.body, exc.message)}",
        )


def _messages(system: str | None, prompt: str) -> list[ChatCompletionMessageParam]:
    messages: list[ChatCompletionMessageParam] = []
    if system:
        messages.append({"role": "system", "content": system})
    messages.append({"role": "user", "content": prompt})
    return messages


def _first_message(completion: ChatCompletion, provider: str) -> ChatCompletionMessage:
    """The first choice's message, checked: the SDK does not validate response bodies, so
    a body without ``choices`` reaches us as a model missing the field."""
    choices = getattr(completion, "choices", None)
    if not isinstance(choices, list) or not choices:
        raise LLMOutputError(provider, "the response has no choices")
    message = getattr(choices[0], "message", None)
    if not isinstance(message, ChatCompletionMessage):
        raise LLMOutputError(provider, "the response's first choice has no message")
    return message


_ERRORS = SdkErrors(
    status=openai.APIStatusError,
    timeout=openai.APITimeoutError,
    connection=openai.APIConnectionError,
    validation=openai.APIResponseValidationError,
    base=openai.OpenAIError,
)
