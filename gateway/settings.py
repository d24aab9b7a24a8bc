"""Gateway settings (pydantic-settings): where the services are, how users authenticate."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from contract.ports import PORTS


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)

    host: str = "127.0.0.1"
    port: int = Field(default=PORTS["gateway"].http, ge=0, le=65535)
    workflow_engine_url: str = "http://127.0.0.1:8002"
    """HTTP base URL of the engine, without a version (clients add ``/v1``)."""
    workflow_engine_grpc: str = "127.0.0.1:50050"
    workflow_agent_url: str = "http://127.0.0.1:8001"
    """HTTP base URL of the agent, without a version."""
    workflow_agent_grpc: str = "127.0.0.1:50051"
    flags_store: str | None = None
    """``env`` (default), ``file:<path>`` or ``redis://...``: where TRANSPORT flags live."""
    jwt_secret: SecretStr | None = None
    """HS256 secret for user tokens (``sub`` is the user id)."""
    api_keys: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    """``API_KEYS=key1:user1,key2:user2``: static keys, e.g. for scripts."""
    service_token: SecretStr | None = None
    """Sent to the services when they require one (their SERVICE_TOKEN)."""
    admin_token: SecretStr | None = None
    """Required by /admin/*; unset means the admin routes are closed."""
    call_timeout_seconds: float = Field(default=10.0, gt=0)
    rollback_error_rate: float = Field(default=0.05, gt=0, le=1)
    rollback_min_calls: int = Field(default=20, ge=1)
    rollback_window_seconds: float = Field(default=30.0, gt=0)
    rollback_p99_ratio: float = Field(default=3.0, gt=1)
    capture_path: str | None = None
    """``CAPTURE_PATH``: append sampled service calls to this JSONL corpus (unset: off)."""
    capture_sample_rate: float = Field(default=1.0, ge=0, le=1)

    @field_validator("api_keys", mode="before")
    @classmethod
    def _parse_keys(cls, value: object) -> object:
        if isinstance(value, str):
            pairs = [item.split(":", 1) for item in value.split(",") if item.strip()]
            if any(len(pair) != 2 or not all(p.strip() for p in pair) for pair in pairs):
                raise ValueError("API_KEYS must look like key1:user1,key2:user2")
            return {key.strip(): user.strip() for key, user in pairs}
        return value
