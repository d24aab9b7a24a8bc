"""HTTP_REQUEST: a real HTTP call with a timeout; 4xx/5xx answers are node errors."""

from __future__ import annotations

import json
from typing import Any

import httpx

from contract.models import Node
from services.catalog import HTTP_METHODS
from services.engine.expressions import ExpressionError, render_text
from services.engine.nodes import Item, NodeContext, NodeError, NodeResult


async def run(node: Node, item: Item, ctx: NodeContext) -> NodeResult:
    params = node.parameters
    method = params.get("method", "GET").upper()
    if method not in HTTP_METHODS:
        raise NodeError(f"unsupported method {method!r}")
    try:
        url = render_text(params["url"], item)
        headers = _headers(render_text(params.get("headers", "{}") or "{}", item))
        body = render_text(params["body"], item) if params.get("body") else None
    except ExpressionError as exc:
        raise NodeError(str(exc)) from None
    try:
        timeout = float(params.get("timeout_s", "30"))
    except ValueError:
        raise NodeError(f"timeout_s must be a number, got {params.get('timeout_s')!r}") from None
    kwargs: dict[str, Any] = {"headers": headers, "timeout": timeout}
    if body is not None:
        try:
            kwargs["json"] = json.loads(body)
        except json.JSONDecodeError:
            kwargs["content"] = body
    try:
        response = await ctx.http.request(method, url, **kwargs)
    except httpx.TimeoutException:
        raise NodeError(f"{method} {url} timed out after {timeout:g}s") from None
    except httpx.HTTPError as exc:
        raise NodeError(f"{method} {url} failed: {type(exc).__name__}: {exc}") from None
    if response.status_code >= 400:
        raise NodeError(f"{method} {url} answered HTTP {response.status_code}")
    try:
        payload: Any = response.json()
    except ValueError:
        payload = response.text
    return NodeResult(
        output={"status": response.status_code, "headers": dict(response.headers), "body": payload}
    )


def _headers(raw: str) -> dict[str, str]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise NodeError(f"headers is not a JSON object: {exc}") from None
    if not isinstance(value, dict):
        raise NodeError("headers must be a JSON object")
    return {str(k): str(v) for k, v in value.items()}
