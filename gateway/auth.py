"""Who is calling the public API: a bearer token (HS256 JWT, or a configured API key).

The user id comes from the token only: a body or query ``user_id`` is never trusted,
and the gateway fills the services' ``user_id`` fields from it.
"""

from __future__ import annotations

import base64
import hmac
from typing import Annotated

import jwt
from fastapi import Depends, Request

from bridge.errors import PermissionDenied, Unauthenticated
from gateway.settings import GatewaySettings


def user_from_token(settings: GatewaySettings, authorization: str | None) -> str:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthenticated("missing bearer token")
    token = authorization[7:].strip()
    for key, user in settings.api_keys.items():
        if hmac.compare_digest(token.encode(), key.encode()):
            return user
    if settings.jwt_secret is None:
        raise Unauthenticated("invalid token")
    try:
        claims = jwt.decode(
            token, settings.jwt_secret.get_secret_value(), algorithms=["HS256"],
            options={"require": ["sub", "exp"]},
        )  # fmt: skip
    except jwt.PyJWTError as exc:
        raise Unauthenticated(f"invalid token: {exc}") from None
    return str(claims["sub"])


def require_admin(settings: GatewaySettings, authorization: str | None) -> None:
    """``Bearer <ADMIN_TOKEN>``, or HTTP Basic ``admin:<ADMIN_TOKEN>`` (what a browser sends)."""
    expected = settings.admin_token
    if expected is None:
        raise PermissionDenied("admin routes are closed (no ADMIN_TOKEN configured)")
    header = authorization or ""
    given = header.removeprefix("Bearer ").strip()
    if header.startswith("Basic "):
        try:
            user, _, given = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            user = ""
        if user != "admin":
            raise Unauthenticated("invalid admin credentials")
    if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise Unauthenticated("invalid admin token")


def _current_user(request: Request) -> str:
    settings: GatewaySettings = request.app.state.settings
    return user_from_token(settings, request.headers.get("authorization"))


CurrentUser = Annotated[str, Depends(_current_user)]
