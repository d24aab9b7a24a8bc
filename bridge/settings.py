"""Settings of a bridge server, from the environment (pydantic-settings)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ProtocolName = Literal["grpc", "http"]


class BridgeSettings(BaseSettings):
    """``PROTOCOLS=grpc,http``, ``PORT``, ``GRPC_PORT``, ``SERVICE_TOKEN``... (see README)."""

    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)

    protocols: Annotated[frozenset[ProtocolName], NoDecode] = frozenset({"grpc", "http"})
    """Listeners to open at start-up; each can be switched at runtime via the admin API."""
    host: str = "127.0.0.1"
    port: int | None = Field(default=None, ge=0, le=65535)
    """HTTP port; None means the service's default."""
    grpc_port: int | None = Field(default=None, ge=0, le=65535)
    service_token: SecretStr | None = None
    """When set, callers must send ``authorization: Bearer <token>`` on both protocols."""
    max_request_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    shutdown_grace_seconds: float = Field(default=10.0, ge=0)
    drain_delay_seconds: float = Field(default=0.0, ge=0)
    """Time between readiness going NOT_SERVING and listeners closing (let LBs notice)."""
    health_interval_seconds: float = Field(default=5.0, gt=0)
    sse_keepalive_seconds: float = Field(default=15.0, ge=0)
    """An SSE comment (``: ping``) after this long without an event on a stream, so
    proxies and load balancers with idle timeouts keep it open; 0 turns it off."""
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    """Browser origins allowed to call the HTTP API; empty means CORS off."""
    root_path: Annotated[str, Field(pattern=r"^(/[A-Za-z0-9._~-]+)*$")] = ""
    """``ROOT_PATH``: the prefix a proxy strips before requests reach this service (the
    internal ALB's ``/engine``), so /docs asks for ``/engine/openapi.json``. Routes are
    unchanged: requests arrive without the prefix."""
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"

    @field_validator("protocols", mode="before")
    @classmethod
    def _parse_protocols(cls, value: object) -> object:
        if isinstance(value, str):
            items = {p.strip().lower() for p in value.split(",") if p.strip()}
            if not items:
                raise ValueError("PROTOCOLS must name at least one of grpc, http")
            return frozenset(items)
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _parse_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(o.strip() for o in value.split(",") if o.strip())
        return value

    @field_validator("cors_origins")
    @classmethod
    def _no_wildcard_with_credentials(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # The HTTP adapter allows credentials with CORS; "*" with credentials is never safe.
        if "*" in value:
            raise ValueError("CORS_ORIGINS must list origins; '*' is refused (credentials)")
        return value
