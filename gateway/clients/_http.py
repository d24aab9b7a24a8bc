"""HTTP transport: long-lived pooled aiohttp connections, JSON, routes from the contract.

aiohttp rather than httpx: measured here against the same uvicorn server at 16
concurrent calls, httpx's default transport managed ~510 req/s, httpx over aiohttp
~2,000, aiohttp directly ~4,600 (the grpc.aio client ~2,300); the HTTP side of the
migration must not be the slow one.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import quote

import aiohttp
from pydantic import BaseModel
from pydantic_core import from_json

from bridge.errors import DeadlineExceeded, Unavailable, from_http
from gateway.clients._base import CallOptions, Method

_VERSIONED = re.compile(r"/v\d+/?$")


class HttpTransport:
    name = "http"

    def __init__(self, base_url: str, *, service_token: str | None = None, pool: int = 100) -> None:
        base = base_url.rstrip("/")
        if _VERSIONED.search(base):
            # The original migration configured ".../v1" and then added "/v1" again.
            raise ValueError(f"base URL must not end in a version (clients add it): {base_url!r}")
        if not base.startswith(("http://", "https://")):
            raise ValueError(f"base URL must be http(s)://host[:port]: {base_url!r}")
        self.base_url = base
        self._token = service_token
        self._pool = pool
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._pool, keepalive_timeout=30)
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    async def call(self, method: Method, request: BaseModel, options: CallOptions) -> BaseModel:
        route = method.http
        values = request.model_dump(mode="json", exclude_unset=True)
        path = route.path
        for name in route.path_params:
            path = path.replace("{" + name + "}", quote(str(getattr(request, name)), safe=""))
        body_fields = [f for f in request.model_fields_set if f not in route.path_params]
        query: list[tuple[str, str]] = []
        body: bytes | None = None
        query_fields = route.query if route.has_body else tuple(body_fields)
        for name in query_fields:
            value = values.get(name)
            for item in value if isinstance(value, list) else [value]:
                if item is not None:
                    query.append((name, _text(item)))
        if route.has_body:
            include = {f for f in body_fields if f not in route.query}
            body = request.__pydantic_serializer__.to_json(
                request, include=include, exclude_unset=True
            )
        headers = {**options.headers(self._token), "content-type": "application/json"}
        # The service bounds its own time by the same budget (x-request-timeout-ms).
        headers["x-request-timeout-ms"] = str(int(options.timeout * 1000))
        try:
            async with self._client().request(
                route.method, self.base_url + path, params=query, data=body, headers=headers,
                timeout=aiohttp.ClientTimeout(total=options.timeout),
            ) as response:  # fmt: skip
                raw = await response.read()
                status = response.status
        except (aiohttp.ClientConnectionError, OSError) as exc:
            raise Unavailable(f"{self.base_url}: {exc}") from exc
        except TimeoutError as exc:
            raise DeadlineExceeded(f"{method.name} took longer than {options.timeout}s") from exc
        if 200 <= status < 300:
            return method.response_model.model_validate_json(raw)
        try:
            payload: Any = from_json(raw) if raw else None
        except ValueError:
            payload = None
        raise from_http(status, payload)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            await asyncio.sleep(0)  # let aiohttp close its transports


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
