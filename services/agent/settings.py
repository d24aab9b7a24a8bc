"""Agent settings from the environment (pydantic-settings); the LLM provider's own
settings (LLM_PROVIDER, keys, model, timeout, retries) live in ``services.llm``."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AgentSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)

    agent_max_repair_rounds: int = Field(default=2, ge=0, le=5)
    """``AGENT_MAX_REPAIR_ROUNDS``: how often a draft that fails validation goes back to
    the provider with its errors before the agent answers ``success=false``."""
    redis_url: str | None = None
    """``REDIS_URL``: when set, conversation state is checkpointed there."""
    agent_conversation_ttl_seconds: int = Field(default=3600, ge=1)
    """How long a conversation's checkpoint lives in Redis after its last turn."""
