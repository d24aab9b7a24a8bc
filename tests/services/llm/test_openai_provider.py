"""OpenAIProvider against the fake OpenAI server, over a real socket."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest

from services.llm import LLMError, LLMOutputError, OpenAIProvider
from tests.fakes.llm_servers import FakeOpenAIServer
from tests.services.llm.support import CLOSED_SCHEMA, OPEN_SCHEMA, TIMEOUT, task


async def test_complete_sends_a_chat_completion_and_returns_the_text(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.reply_text("Sunny, 21 degrees.")
    text = await openai_provider.complete("Weather?", system="Be brief.")
    assert text == "Sunny, 21 degrees."
    (request,) = fake_openai.requests
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.body["model"] == "gpt-5.4-mini"
    assert request.body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather?"},
    ]
    # Nothing the caller did not ask for: GPT-5 models reject a non-default temperature.
    assert "temperature" not in request.body and "response_format" not in request.body


async def test_complete_passes_model_and_temperature_when_given(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.reply_text("ok")
    await openai_provider.complete("hi", model="gpt-5.4", temperature=0.2)
    body = fake_openai.requests[-1].body
    assert body["model"] == "gpt-5.4" and body["temperature"] == 0.2
    assert [m["role"] for m in body["messages"]] == ["user"]


async def test_structured_sends_a_strict_json_schema_and_parses_the_object(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAIServer
) -> None:
    answer = {"name": "Weather", "steps": [{"id": "t", "kind": "CRON"}]}
    fake_openai.reply_json(answer)
    assert await openai_provider.structured(task()) == answer
    body = fake_openai.requests[-1].body
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "workflow_draft", "schema": CLOSED_SCHEMA, "strict": True},
    }
    assert body["messages"][0] == {"role": "system", "content": "You draft workflows."}


async def test_structured_goes_non_strict_when_the_schema_has_optional_fields(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.reply_json({"name": "x"})
    assert await openai_provider.structured(task(OPEN_SCHEMA, model="gpt-5.4")) == {"name": "x"}
    body = fake_openai.requests[-1].body
    assert body["response_format"]["json_schema"]["strict"] is False
    assert body["response_format"]["json_schema"]["schema"] == OPEN_SCHEMA
    assert body["model"] == "gpt-5.4"


async def test_max_tokens_goes_out_as_max_completion_tokens(
    fake_openai: FakeOpenAIServer,
) -> None:
    provider = OpenAIProvider(
        api_key="k", base_url=fake_openai.base_url, max_retries=0, max_tokens=900
    )
    try:
        fake_openai.reply_text("ok")
        await provider.complete("hi")
    finally:
        await provider.aclose()
    body = fake_openai.requests[-1].body
    assert body["max_completion_tokens"] == 900 and "max_tokens" not in body


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(400, False), (401, False), (404, False), (408, True), (429, True), (500, True), (503, True)],
)
async def test_error_status_becomes_llm_error_with_status_and_server_message(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAIServer, status: int, retryable: bool
) -> None:
    fake_openai.reply_error(status, f"the server says {status}")
    with pytest.raises(LLMError) as caught:
        await openai_provider.complete("hi")
    error = caught.value
    assert type(error) is LLMError
    assert str(error) == f"openai: HTTP {status}: the server says {status}"
    assert error.provider == "openai" and error.retryable is retryable
    assert len(fake_openai.requests) == 1  # max_retries=0: no retry


async def test_error_without_a_json_body_still_names_status_and_text(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.reply_raw("<html>Bad gateway</html>", status=502, content_type="text/html")
    with pytest.raises(LLMError, match=r"HTTP 502: <html>Bad gateway</html>") as caught:
        await openai_provider.complete("hi")
    assert caught.value.retryable


async def test_timeout_becomes_a_retryable_llm_error(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.reply_delay(TIMEOUT * 5)
    started = time.monotonic()
    with pytest.raises(LLMError, match="timed out") as caught:
        await openai_provider.structured(task())
    assert caught.value.retryable and type(caught.value) is LLMError
    assert time.monotonic() - started < TIMEOUT * 4


async def test_connection_refused_becomes_a_retryable_llm_error(
    fake_openai: FakeOpenAIServer,
) -> None:
    url = fake_openai.base_url
    await fake_openai.close()
    provider = OpenAIProvider(api_key="k", base_url=url, timeout=TIMEOUT, max_retries=0)
    try:
        with pytest.raises(LLMError, match="connection failed") as caught:
            await provider.complete("hi")
    finally:
        await provider.aclose()
    assert caught.value.retryable


async def test_the_sdk_retries_a_500_then_succeeds(fake_openai: FakeOpenAIServer) -> None:
    provider = OpenAIProvider(
        api_key="k", base_url=fake_openai.base_url, timeout=TIMEOUT, max_retries=2
    )
    fake_openai.reply_error(500, "flaky", retry_after_ms=10)
    fake_openai.reply_error(429, "slow down", retry_after_ms=10)
    fake_openai.reply_json({"name": "x", "steps": []})
    try:
        assert await provider.structured(task()) == {"name": "x", "steps": []}
    finally:
        await provider.aclose()
    assert len(fake_openai.requests) == 3
    assert [r.headers.get("x-stainless-retry-count") for r in fake_openai.requests] == [
        "0",
        "1",
        "2",
    ]
    assert fake_openai.requests[0].body == fake_openai.requests[2].body


async def test_retries_run_out_into_the_last_error(fake_openai: FakeOpenAIServer) -> None:
    provider = OpenAIProvider(
        api_key="k", base_url=fake_openai.base_url, timeout=TIMEOUT, max_retries=1
    )
    fake_openai.reply_error(503, "down", retry_after_ms=10, times=2)
    try:
        with pytest.raises(LLMError, match="HTTP 503: down"):
            await provider.complete("hi")
    finally:
        await provider.aclose()
    assert len(fake_openai.requests) == 2


async def test_a_400_is_not_retried(fake_openai: FakeOpenAIServer) -> None:
    provider = OpenAIProvider(api_key="k", base_url=fake_openai.base_url, max_retries=2)
    fake_openai.reply_error(400, "Invalid schema for response_format 'workflow_draft'")
    try:
        with pytest.raises(LLMError, match="Invalid schema") as caught:
            await provider.structured(task())
    finally:
        await provider.aclose()
    assert not caught.value.retryable and len(fake_openai.requests) == 1


async def test_refusal_is_an_output_error(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.reply_refusal("I can't help with that.")
    with pytest.raises(LLMOutputError, match="refused 'workflow_draft': I can't help"):
        await openai_provider.structured(task())


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (None, "is empty"),
        ("", "is empty"),
        ("Here is your workflow: {", "is not JSON"),
        ("[1, 2]", "JSON list, not an object"),
        ('"just a string"', "JSON str, not an object"),
    ],
)
async def test_content_that_is_not_a_json_object_is_an_output_error(
    openai_provider: OpenAIProvider,
    fake_openai: FakeOpenAIServer,
    content: str | None,
    match: str,
) -> None:
    fake_openai.reply_content(content)
    with pytest.raises(LLMOutputError, match=match) as caught:
        await openai_provider.structured(task())
    assert not caught.value.retryable


async def test_answer_cut_at_max_tokens_is_an_output_error(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.reply_content('{"name": "Wea', finish_reason="length")
    with pytest.raises(LLMOutputError, match="cut at max tokens"):
        await openai_provider.structured(task())


async def test_complete_without_text_is_an_output_error(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.reply_content(None)
    with pytest.raises(LLMOutputError, match="no text content"):
        await openai_provider.complete("hi")


@pytest.mark.parametrize(
    ("reply", "match"),
    [
        (lambda s: s.reply_raw("<html>oops</html>"), "not JSON"),
        (lambda s: s.reply_raw(""), "not JSON"),
        (lambda s: s.reply_body({"id": "chatcmpl-1", "object": "chat.completion"}), "no choices"),
        (lambda s: s.reply_body({"choices": []}), "no choices"),
        (lambda s: s.reply_body({"choices": [{"index": 0}]}), "no message"),
        (lambda s: s.reply_body({"choices": [{"message": "hello"}]}), "no message"),
        (lambda s: s.reply_body([1, 2, 3]), "no choices"),
        (lambda s: s.reply_body({"choices": [{"message": {"content": 12}}]}), "no text|is empty"),
    ],
)
async def test_malformed_bodies_are_output_errors_never_unhandled(
    openai_provider: OpenAIProvider,
    fake_openai: FakeOpenAIServer,
    reply: Callable[[FakeOpenAIServer], None],
    match: str,
) -> None:
    reply(fake_openai)
    with pytest.raises(LLMOutputError, match=match):
        await openai_provider.complete("hi")
    reply(fake_openai)
    with pytest.raises(LLMOutputError, match=match):
        await openai_provider.structured(task())


async def test_aclose_closes_the_http_client(fake_openai: FakeOpenAIServer) -> None:
    provider = OpenAIProvider(api_key="k", base_url=fake_openai.base_url)
    await provider.aclose()
    assert provider.client.is_closed()


async def test_the_fake_records_what_it_got_and_fails_unplanned_calls(
    openai_provider: OpenAIProvider, fake_openai: FakeOpenAIServer
) -> None:
    with pytest.raises(LLMError, match="HTTP 500: fake server: no scripted reply left"):
        await openai_provider.complete("unplanned")
    fake_openai.default = fake_openai.text("always this")
    assert await openai_provider.complete("a") == "always this"
    assert await openai_provider.complete("b") == "always this"
    assert [json.loads(r.raw)["messages"][-1]["content"] for r in fake_openai.requests] == [
        "unplanned",
        "a",
        "b",
    ]
