"""Engine settings from the environment (pydantic-settings)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EngineSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)

    database_url: str | None = None
    """``DATABASE_URL``; unset means SQLite under ``DATA_DIR`` (the embedded default)."""
    data_dir: Path = Path(".data")
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0, le=600_000)
    """How long SQLite waits for another writer before a call fails with UNAVAILABLE."""
    cron_tick_seconds: float = Field(default=1.0, gt=0)
    """How often the cron scheduler looks for due triggers."""
    cron_refresh_seconds: float = Field(default=10.0, gt=0)
    """How often it reloads the list of active cron triggers."""
    http_node_timeout_seconds: float = Field(default=30.0, gt=0)
    idempotency_ttl_seconds: int = Field(default=24 * 3600, gt=0)
    redis_url: str | None = None
    """``REDIS_URL``: when set, cron slots are claimed with a Redis lock (and Redis joins
    the health checks)."""
