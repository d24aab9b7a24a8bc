"""Settings parsing and call-context extraction."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bridge.context import build_context, http_timeout
from bridge.settings import BridgeSettings


def test_protocols_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROTOCOLS", " HTTP ")
    assert BridgeSettings().protocols == frozenset({"http"})
    monkeypatch.setenv("PROTOCOLS", "grpc,http")
    assert BridgeSettings().protocols == frozenset({"grpc", "http"})


@pytest.mark.parametrize("value", ["smtp", ","])
def test_bad_protocols_are_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("PROTOCOLS", value)
    with pytest.raises(ValidationError):
        BridgeSettings()


def test_cors_wildcard_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "*")
    with pytest.raises(ValidationError, match="'\\*' is refused"):
        BridgeSettings()


def test_service_token_is_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVICE_TOKEN", "t0ken")
    settings = BridgeSettings()
    assert "t0ken" not in repr(settings)
    assert settings.service_token is not None
    assert settings.service_token.get_secret_value() == "t0ken"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({}, None), ({"x-request-timeout-ms": "250"}, 0.25), ({"x-request-timeout-ms": "soon"}, None),
     ({"x-request-timeout-ms": "-1"}, None)],
)  # fmt: skip
def test_http_timeout_header(headers: dict[str, str], expected: float | None) -> None:
    assert http_timeout(headers) == expected


async def test_context_bounds_and_generates_values() -> None:
    ctx = build_context(
        protocol="http", service="s", method="m",
        headers={"x-user-id": "  u1 ", "idempotency-key": "k" * 1000, "x-request-id": ""},
        timeout=1.0,
    )  # fmt: skip
    assert ctx.user_id == "u1"
    assert ctx.idempotency_key == "k" * 256
    assert len(ctx.request_id) == 32
    remaining = ctx.time_remaining()
    assert remaining is not None and 0.9 < remaining <= 1.0
