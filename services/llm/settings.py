"""Which LLM provider runs, from the environment, and the one function that builds it.

``LLM_PROVIDER=auto`` (the default) picks OpenAI when ``OPENAI_API_KEY`` is set, else
Anthropic when ``ANTHROPIC_API_KEY`` is set, else the offline provider, so the product
runs with no key and no network. Naming ``openai`` or ``anthropic`` without its key is
refused when the settings are read (at start-up), not at the first call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.llm._base import LLMProvider
from services.llm.anthropic_provider import DEFAULT_ANTHROPIC_MODEL, AnthropicProvider
from services.llm.offline import OfflineProvider, OfflineSolver
from services.llm.openai_provider import DEFAULT_OPENAI_MODEL, OpenAIProvider

ProviderName = Literal["offline", "openai", "anthropic"]


class LLMSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)

    llm_provider: Literal["auto", "offline", "openai", "anthropic"] = "auto"
    """``LLM_PROVIDER``: ``auto`` = openai if its key is set, else anthropic if its key is
    set, else offline."""
    llm_model: str | None = Field(default=None, min_length=1)
    """``LLM_MODEL``; unset = the provider's default (``gpt-5.4-mini``, ``claude-sonnet-4-6``)."""
    llm_timeout_seconds: float = Field(default=30.0, gt=0)
    """``LLM_TIMEOUT_SECONDS``: per HTTP attempt (the SDK's ``timeout``)."""
    llm_max_retries: int = Field(default=2, ge=0, le=10)
    """``LLM_MAX_RETRIES``: the SDK's own retries, with exponential backoff and
    ``Retry-After``, on 408/409/429/5xx, timeouts and connection errors."""
    llm_max_tokens: int | None = Field(default=None, gt=0)
    """``LLM_MAX_TOKENS``: output cap. Unset: OpenAI sends none (the model's own limit),
    Anthropic, which requires one, sends 8192."""
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = Field(default=None, pattern=r"^https?://")
    """``OPENAI_BASE_URL``: an OpenAI-compatible endpoint, including ``/v1``."""
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = Field(default=None, pattern=r"^https?://")
    """``ANTHROPIC_BASE_URL``: without ``/v1`` (the SDK adds ``/v1/messages``)."""

    @model_validator(mode="after")
    def _key_for_explicit_provider(self) -> LLMSettings:
        if self.llm_provider == "openai" and not _secret(self.openai_api_key):
            raise ValueError("LLM_PROVIDER=openai needs OPENAI_API_KEY")
        if self.llm_provider == "anthropic" and not _secret(self.anthropic_api_key):
            raise ValueError("LLM_PROVIDER=anthropic needs ANTHROPIC_API_KEY")
        return self

    @property
    def provider(self) -> ProviderName:
        """The provider that runs, with ``auto`` resolved."""
        if self.llm_provider != "auto":
            return self.llm_provider
        if _secret(self.openai_api_key):
            return "openai"
        if _secret(self.anthropic_api_key):
            return "anthropic"
        return "offline"


def build_provider(
    settings: LLMSettings | None = None,
    *,
    offline_solvers: Mapping[str, OfflineSolver] | None = None,
) -> LLMProvider:
    """The provider ``settings`` (default: the environment) ask for. ``offline_solvers``
    answer structured tasks when that is the offline provider; the real providers ignore
    them. The caller owns the result and closes it with ``aclose()``."""
    settings = settings or LLMSettings()
    common: dict[str, Any] = {
        "timeout": settings.llm_timeout_seconds,
        "max_retries": settings.llm_max_retries,
        "max_tokens": settings.llm_max_tokens,
    }
    match settings.provider:
        case "openai":
            return OpenAIProvider(
                api_key=_secret(settings.openai_api_key),
                model=settings.llm_model or DEFAULT_OPENAI_MODEL,
                base_url=settings.openai_base_url,
                **common,
            )
        case "anthropic":
            return AnthropicProvider(
                api_key=_secret(settings.anthropic_api_key),
                model=settings.llm_model or DEFAULT_ANTHROPIC_MODEL,
                base_url=settings.anthropic_base_url,
                **common,
            )
        case "offline":
            return OfflineProvider(offline_solvers)


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value().strip() if value is not None else ""
