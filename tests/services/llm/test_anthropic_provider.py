"""AnthropicProvider against the fake Anthropic server, over a real socket."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from services.llm import AnthropicProvider, LLMError, LLMOutputError
from tests.fakes.llm_servers import FakeAnthropicServer
from tests.services.llm.support import CLOSED_SCHEMA, OPEN_SCHEMA, TIMEOUT, task


async def test_complete_sends_a_message_and_returns_the_text(
    anthropic_provider: AnthropicProvider, fake_anthropic: FakeAnthropicServer
) -> None:
    fake_anthropic.reply_text("Sunny, 21 degrees.")
    text = await anthropic_provider.complete("Weather?", system="Be brief.", temperature=0.3)
    assert text == "Sunny, 21 degrees."
    (request,) = fake_anthropic.requests
    assert (request.method, request.path) == ("POST", "/v1/messages")
    # SDK 2.x: API version 2026-10-21, the key as a bearer token.
    assert request.headers["authorization"] == "Bearer sk-ant-test"
    assert request.headers["anthropic-version"] == "2026-10-21"
    assert request.body["model"] == "claude-sonnet-4-6"
    assert request.body["system"] == "Be brief."
    assert request.body["messages"] == [{"role": "user", "content": "Weather?"}]
    assert request.body["max_tokens"] == 8192
    # The API rejects sampling parameters now: the temperature is not sent.
    assert "temperature" not in request.body
    assert "tools" not in request.body and "tool_choice" not in request.body


async def test_complete_joins_text_blocks_and_skips_others(
    anthropic_provider: AnthropicProvider, fake_anthropic: FakeAnthropicServer
) -> None:
    fake_anthropic.reply_blocks(
        [
            {"type": "thinking", "thinking": "hmm", "signature": "sig"},
            {"type": "text", "text": "Hello, "},
            {"type": "text", "text": "world."},
        ]
    )
    assert await anthropic_provider.complete("hi", model="claude-haiku-4-5") == "Hello, world."
    body = fake_anthropic.requests[-1].body
    assert body["model"] == "claude-haiku-4-5" and "system" not in body


async def test_structured_forces_one_tool_with_the_schema_and_returns_its_input(
    anthropic_provider: AnthropicProvider, fake_anthropic: FakeAnthropicServer
) -> None:
    answer = {"name": "Weather", "steps": [{"id": "t", "kind": "CRON"}]}
    fake_anthropic.reply_json(answer)
    assert await anthropic_provider.structured(task()) == answer
    body = fake_anthropic.requests[-1].body
    (tool,) = body["tools"]
    assert tool["name"] == "workflow_draft" and tool["input_schema"] == CLOSED_SCHEMA
    assert body["tool_choice"] == {
        "type": "tool",
        "name": "workflow_draft",
        "disable_parallel_tool_use": True,
    }
    assert body["system"] == "You draft workflows."
    assert body["messages"] == [{"role": "user", "content": "Every hour, fetch the weather."}]


async def test_structured_sends_any_schema_as_given(
    anthropic_provider: AnthropicProvider, fake_anthropic: FakeAnthropicServer
) -> None:
    fake_anthropic.reply_json({"name": "x"})
    result = await anthropic_provider.structured(task(OPEN_SCHEMA, model="claude-opus-4-6"))
    assert result == {"name": "x"}
    body = fake_anthropic.requests[-1].body
    assert body["tools"][0]["input_schema"] == OPEN_SCHEMA and body["model"] == "claude-opus-4-6"


@pytest.mark.parametrize(
    ("status", "kind", "retryable"),
    [
        (400, "invalid_request_error", False),
        (401, "authentication_error", False),
        (404, "not_found_error", False),
        (413, "request_too_large", False),
        (429, "rate_limit_error", True),
        (500, "api_error", True),
        (529, "overloaded_error", True),
    ],
)
async def test_error_status_becomes_llm_error_with_status_type_and_message(
    anthropic_provider: AnthropicProvider,
    fake_anthropic: FakeAnthropicServer,
    status: int,
    kind: str,
    retryable: bool,
) -> None:
    fake_anthropic.reply_error(status, f"the server says {status}")
    with pytest.raises(LLMError) as caught:
        await anthropic_provider.structured(task())
    error = caught.value
    assert type(error) is LLMError
    assert str(error) == f"anthropic: HTTP {status} ({kind}): the server says {status}"
    assert error.provider == "anthropic" and error.retryable is retryable
    assert len(fake_anthropic.requests) == 1


async def test_forced_tool_refused_by_the_model_surfaces_the_servers_message(
    anthropic_provider: AnthropicProvider, fake_anthropic: FakeAnthropicServer
) -> None:
    message = "tool_choice forcing tool use is not supported by this model"
    fake_anthropic.reply_error(400, message)
    with pytest.raises(LLMError, match=message) as caught:
        await anthropic_provider.structured(task(model="claude-sonnet-5-5"))
    assert not caught.value.retryable


async def test_timeout_becomes_a_retryable_llm_error(
    anthropic_provider: AnthropicProvider, fake_anthropic: FakeAnthropicServer
) -> None:
    fake_anthropic.reply_delay(TIMEOUT * 5)
    started = time.monotonic()
    with pytest.raises(LLMError, match="timed out") as caught:
        await anthropic_provider.complete("hi")
    assert caught.value.retryable and type(caught.value) is LLMError
    assert time.monotonic() - started < TIMEOUT * 4


async def test_connection_refused_becomes_a_retryable_llm_error(
    fake_anthropic: FakeAnthropicServer,
) -> None:
    url = fake_anthropic.base_url
    await fake_anthropic.close()
    provider = AnthropicProvider(api_key="k", base_url=url, timeout=TIMEOUT, max_retries=0)
    try:
        with pytest.raises(LLMError, match="connection failed") as caught:
            await provider.complete("hi")
    finally:
        await provider.aclose()
    assert caught.value.retryable


async def test_the_sdk_retries_overload_then_succeeds(
    fake_anthropic: FakeAnthropicServer,
) -> None:
    provider = AnthropicProvider(
        api_key="k", base_url=fake_anthropic.base_url, timeout=TIMEOUT, max_retries=2
    )
    fake_anthropic.reply_error(500, "flaky", retry_after_ms=10)
    fake_anthropic.reply_error(529, "Overloaded", retry_after_ms=10)
    fake_anthropic.reply_json({"name": "x", "steps": []})
    try:
        assert await provider.structured(task()) == {"name": "x", "steps": []}
    finally:
        await provider.aclose()
    assert len(fake_anthropic.requests) == 3
    assert [r.headers.get("x-stainless-retry-count") for r in fake_anthropic.requests] == [
        "0",
        "1",
        "2",
    ]


async def test_a_timeout_is_retried_by_the_sdk(fake_anthropic: FakeAnthropicServer) -> None:
    provider = AnthropicProvider(
        api_key="k", base_url=fake_anthropic.base_url, timeout=TIMEOUT, max_retries=1
    )
    fake_anthropic.reply_delay(TIMEOUT * 5)
    fake_anthropic.reply_text("second try")
    try:
        assert await provider.complete("hi") == "second try"
    finally:
        await provider.aclose()
    assert len(fake_anthropic.requests) == 2


async def test_no_tool_use_block_is_an_output_error(
    anthropic_provider: AnthropicProvider, fake_anthropic: FakeAnthropicServer
) -> None:
    fake_anthropic.reply_text("I would rather describe it in prose.")
    with pytest.raises(LLMOutputError, match="no tool_use block"):
        await anthropic_provider.structured(task())


async def test_a_call_to_another_tool_is_an_output_error(
    anthropic_provider: AnthropicProvider, fake_anthropic: FakeAnthropicServer
) -> None:
    fake_anthropic.reply_tool_call("get_weather", {"city": "Paris"})
    with pytest.raises(LLMOutputError, match="called tool 'get_weather', not 'workflow_draft'"):
        await anthropic_provider.structured(task())


@pytest.mark.parametrize("tool_input", [[1, 2], "a string", None, 3])
async def test_tool_input_that_is_not_an_object_is_an_output_error(
    anthropic_provider: AnthropicProvider, fake_anthropic: FakeAnthropicServer, tool_input: object
) -> None:
    fake_anthropic.reply_tool_call("workflow_draft", tool_input)
    with pytest.raises(LLMOutputError, match="not an object"):
        await anthropic_provider.structured(task())


@pytest.mark.parametrize(("stop_reason", "match"), [("refusal", "refused"), ("max_tokens", "cut")])
async def test_refusal_and_truncation_are_output_errors(
    anthropic_provider: AnthropicProvider,
    fake_anthropic: FakeAnthropicServer,
    stop_reason: str,
    match: str,
) -> None:
    block = {"type": "tool_use", "id": "toolu_1", "name": "workflow_draft", "input": {}}
    fake_anthropic.reply_blocks([block], stop_reason=stop_reason)
    with pytest.raises(LLMOutputError, match=match):
        await anthropic_provider.structured(task())
    fake_anthropic.reply_blocks([{"type": "text", "text": "partial"}], stop_reason=stop_reason)
    with pytest.raises(LLMOutputError, match=match):
        await anthropic_provider.complete("hi")


@pytest.mark.parametrize(
    ("reply", "match"),
    [
        (lambda s: s.reply_raw("<html>oops</html>"), "not JSON"),
        (lambda s: s.reply_raw(""), "not JSON"),
        (lambda s: s.reply_body({"id": "msg_1", "type": "message"}), "no content blocks"),
        (lambda s: s.reply_body({"content": "just text"}), "no content blocks"),
        (
            lambda s: s.reply_body({"content": [{"type": "mystery"}]}),
            "no (text content|tool_use block)",
        ),
        (lambda s: s.reply_body(["not", "an", "object"]), "no content blocks"),
        (lambda s: s.reply_body({"content": [{"type": "text"}]}), "no (text content|tool_use)"),
        (lambda s: s.reply_body({"content": [{"type": "tool_use"}]}), "no text|called tool None"),
    ],
)
async def test_malformed_bodies_are_output_errors_never_unhandled(
    anthropic_provider: AnthropicProvider,
    fake_anthropic: FakeAnthropicServer,
    reply: Callable[[FakeAnthropicServer], None],
    match: str,
) -> None:
    reply(fake_anthropic)
    with pytest.raises(LLMOutputError, match=match):
        await anthropic_provider.complete("hi")
    reply(fake_anthropic)
    with pytest.raises(LLMOutputError, match=match):
        await anthropic_provider.structured(task())


async def test_aclose_closes_the_http_client(fake_anthropic: FakeAnthropicServer) -> None:
    provider = AnthropicProvider(api_key="k", base_url=fake_anthropic.base_url)
    await provider.aclose()
    assert provider.client.is_closed()
