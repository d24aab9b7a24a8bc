"""LLMSettings from the environment and build_provider / default_provider."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.llm import (
    AnthropicProvider,
    LLMProvider,
    LLMSettings,
    OfflineProvider,
    OpenAIProvider,
    StructuredTask,
    build_provider,
    default_provider,
)
from tests.fakes.llm_servers import FakeAnthropicServer, FakeOpenAIServer

ENV = (
    "LLM_PROVIDER",
    "LLM_MODEL",
    "LLM_TIMEOUT_SECONDS",
    "LLM_MAX_RETRIES",
    "LLM_MAX_TOKENS",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No key of the machine's leaks into these tests."""
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


async def built(settings: LLMSettings | None = None) -> LLMProvider:
    provider = build_provider(settings)
    await provider.aclose()
    return provider


def test_defaults() -> None:
    settings = LLMSettings()
    assert settings.llm_provider == "auto" and settings.provider == "offline"
    assert settings.llm_model is None and settings.llm_max_tokens is None
    assert settings.llm_timeout_seconds == 30.0 and settings.llm_max_retries == 2


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({}, "offline"),
        ({"ANTHROPIC_API_KEY": "sk-ant"}, "anthropic"),
        ({"OPENAI_API_KEY": "sk-oa"}, "openai"),
        ({"OPENAI_API_KEY": "sk-oa", "ANTHROPIC_API_KEY": "sk-ant"}, "openai"),
        ({"OPENAI_API_KEY": "", "ANTHROPIC_API_KEY": "sk-ant"}, "anthropic"),
        ({"OPENAI_API_KEY": "   ", "ANTHROPIC_API_KEY": ""}, "offline"),
    ],
)
async def test_auto_picks_openai_then_anthropic_then_offline(
    clean_env: pytest.MonkeyPatch, keys: dict[str, str], expected: str
) -> None:
    for name, value in keys.items():
        clean_env.setenv(name, value)
    assert LLMSettings().provider == expected
    provider = await built()
    assert provider.name == expected
    assert (
        type(provider)
        is {
            "offline": OfflineProvider,
            "openai": OpenAIProvider,
            "anthropic": AnthropicProvider,
        }[expected]
    )


async def test_explicit_provider_wins_over_auto(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("OPENAI_API_KEY", "sk-oa")
    clean_env.setenv("ANTHROPIC_API_KEY", "sk-ant")
    clean_env.setenv("LLM_PROVIDER", "anthropic")
    assert isinstance(await built(), AnthropicProvider)
    clean_env.setenv("LLM_PROVIDER", "offline")
    assert isinstance(await built(), OfflineProvider)


@pytest.mark.parametrize(
    ("provider", "key"), [("openai", "OPENAI_API_KEY"), ("anthropic", "ANTHROPIC_API_KEY")]
)
def test_explicit_provider_without_its_key_is_a_configuration_error(
    clean_env: pytest.MonkeyPatch, provider: str, key: str
) -> None:
    clean_env.setenv("LLM_PROVIDER", provider)
    clean_env.setenv("OPENAI_API_KEY" if key != "OPENAI_API_KEY" else "ANTHROPIC_API_KEY", "x")
    with pytest.raises(ValidationError, match=f"LLM_PROVIDER={provider} needs {key}"):
        LLMSettings()
    with pytest.raises(ValidationError, match=f"needs {key}"):
        default_provider()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LLM_PROVIDER", "gemini"),
        ("LLM_TIMEOUT_SECONDS", "0"),
        ("LLM_MAX_RETRIES", "-1"),
        ("LLM_MAX_TOKENS", "0"),
        ("OPENAI_BASE_URL", "localhost:8080"),
    ],
)
def test_bad_values_are_refused(clean_env: pytest.MonkeyPatch, name: str, value: str) -> None:
    clean_env.setenv(name, value)
    with pytest.raises(ValidationError):
        LLMSettings()


def test_keys_are_secret_in_repr(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("OPENAI_API_KEY", "sk-very-secret")
    assert "sk-very-secret" not in repr(LLMSettings())


async def test_env_settings_reach_the_openai_sdk(
    clean_env: pytest.MonkeyPatch, fake_openai: FakeOpenAIServer
) -> None:
    clean_env.setenv("OPENAI_API_KEY", "sk-from-env")
    clean_env.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    clean_env.setenv("LLM_MODEL", "gpt-5.4")
    clean_env.setenv("LLM_MAX_TOKENS", "500")
    clean_env.setenv("LLM_TIMEOUT_SECONDS", "7.5")
    clean_env.setenv("LLM_MAX_RETRIES", "0")
    provider = default_provider()
    assert isinstance(provider, OpenAIProvider)
    try:
        assert provider.model == "gpt-5.4"
        assert provider.client.timeout == 7.5 and provider.client.max_retries == 0
        fake_openai.reply_text("from the fake")
        assert await provider.complete("hi") == "from the fake"
    finally:
        await provider.aclose()
    (request,) = fake_openai.requests
    assert request.headers["authorization"] == "Bearer sk-from-env"
    assert request.body["model"] == "gpt-5.4" and request.body["max_completion_tokens"] == 500


async def test_env_settings_reach_the_anthropic_sdk(
    clean_env: pytest.MonkeyPatch, fake_anthropic: FakeAnthropicServer
) -> None:
    clean_env.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env")
    clean_env.setenv("ANTHROPIC_BASE_URL", fake_anthropic.base_url)
    clean_env.setenv("LLM_MAX_TOKENS", "1234")
    provider = default_provider()
    assert isinstance(provider, AnthropicProvider)
    try:
        assert provider.model == "claude-sonnet-4-6"
        fake_anthropic.reply_text("from the fake")
        assert await provider.complete("hi") == "from the fake"
    finally:
        await provider.aclose()
    (request,) = fake_anthropic.requests
    assert request.headers["authorization"] == "Bearer sk-ant-from-env"
    assert request.body["max_tokens"] == 1234


async def test_settings_object_overrides_the_environment(
    clean_env: pytest.MonkeyPatch, fake_openai: FakeOpenAIServer
) -> None:
    clean_env.setenv("ANTHROPIC_API_KEY", "sk-ant")
    settings = LLMSettings(openai_api_key="sk-oa", openai_base_url=fake_openai.base_url)
    provider = build_provider(settings)
    try:
        assert isinstance(provider, OpenAIProvider) and provider.model == "gpt-5.4-mini"
        assert str(provider.client.base_url).rstrip("/") == fake_openai.base_url
    finally:
        await provider.aclose()


async def test_offline_solvers_reach_the_offline_provider() -> None:
    provider = build_provider(offline_solvers={"echo": lambda task: {"got": dict(task.inputs)}})
    task = StructuredTask(name="echo", system="", prompt="", schema={}, inputs={"a": 1})
    assert await provider.structured(task) == {"got": {"a": 1}}
