"""The call context a handler receives, filled the same way from gRPC metadata and HTTP headers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Protocol = Literal["grpc", "http"]

REQUEST_ID = "x-request-id"
USER_ID = "x-user-id"
IDEMPOTENCY_KEY = "idempotency-key"
AUTHORIZATION = "authorization"
HTTP_TIMEOUT_MS = "x-request-timeout-ms"
"""HTTP has no deadline of its own: callers send their remaining budget in milliseconds."""

MAX_HEADER_VALUE = 256


@dataclass(frozen=True, slots=True, kw_only=True)
class CallContext:
    """Who is calling and under which limits; identical for both protocols."""

    protocol: Protocol
    service: str
    method: str
    request_id: str
    user_id: str | None = None
    """The caller's user, as asserted by an authenticated upstream (the gateway)."""
    deadline: float | None = None
    """Absolute ``loop.time()`` by which the call must finish, if the caller set one."""
    idempotency_key: str | None = None

    def time_remaining(self) -> float | None:
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - asyncio.get_running_loop().time())


def build_context(
    *,
    protocol: Protocol,
    service: str,
    method: str,
    headers: Mapping[str, str],
    timeout: float | None,
) -> CallContext:
    """One function for both protocols: ``headers`` are lower-cased metadata or headers."""
    request_id = _clean(headers.get(REQUEST_ID)) or uuid.uuid4().hex
    deadline = None
    if timeout is not None:
        deadline = asyncio.get_running_loop().time() + max(0.0, timeout)
    return CallContext(
        protocol=protocol,
        service=service,
        method=method,
        request_id=request_id,
        user_id=_clean(headers.get(USER_ID)),
        deadline=deadline,
        idempotency_key=_clean(headers.get(IDEMPOTENCY_KEY)),
    )


def http_timeout(headers: Mapping[str, str]) -> float | None:
    """Seconds from the ``x-request-timeout-ms`` header; None if absent or malformed."""
    raw = headers.get(HTTP_TIMEOUT_MS)
    if raw is None:
        return None
    try:
        millis = float(raw)
    except ValueError:
        return None
    return millis / 1000 if millis >= 0 else None


def _clean(value: str | None) -> str | None:
    """Header values end up in logs and records: bound their length, drop empties."""
    if value is None:
        return None
    value = value.strip()
    return value[:MAX_HEADER_VALUE] or None
