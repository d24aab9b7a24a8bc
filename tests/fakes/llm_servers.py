"""Fake OpenAI and Anthropic servers on loopback, speaking the real wire formats.

They are real HTTP servers (aiohttp) on an ephemeral port of 127.0.0.1, on the test's
event loop, so the official SDKs go over a real socket: their serialization, headers,
retries, timeouts and error parsing all run for real. Each server answers from a script
the test writes, and records every request it got.

Fixtures (registered for the whole suite by ``tests/conftest.py``):

- ``fake_openai``: ``FakeOpenAIServer``, ``POST /v1/chat/completions``; point the SDK at
  ``fake_openai.base_url`` (``http://127.0.0.1:<port>/v1``).
- ``fake_anthropic``: ``FakeAnthropicServer``, ``POST /v1/messages``; point the SDK at
  ``fake_anthropic.base_url`` (``http://127.0.0.1:<port>``, the SDK adds ``/v1``).

Scripting: each ``reply_*`` call queues the next answer(s) (``times=`` repeats one);
answers are used in order, one per request. When the queue is empty the server uses
``default`` if a test set one (``server.default = server.text("...")``), otherwise it
answers 500 with "no scripted reply left", so a test that makes an unplanned call fails
loudly instead of passing by accident.

    async def test_draft(fake_openai):
        fake_openai.reply_json({"name": "x", "nodes": []})       # structured answer
        fake_openai.reply_text("hello")                          # free text
        fake_openai.reply_error(429, "slow down", retry_after_ms=10)
        fake_openai.reply_delay(1.0)                             # longer than the timeout
        fake_openai.reply_raw("<html>oops</html>")               # body that is not JSON
        fake_openai.reply_body({"id": "x"})                      # JSON, fields missing
        fake_openai.reply_content("not json")                    # message content as given
        fake_openai.reply_refusal("I can't help with that")
        fake_anthropic.reply_tool_call("other_tool", {"a": 1})   # wrong tool name
        ...
        request = fake_openai.requests[-1]                       # what the SDK sent
        assert request.body["response_format"]["type"] == "json_schema"
        assert request.headers["authorization"] == "Bearer test-key"

With an Anthropic server, ``reply_json(obj)`` answers with a ``tool_use`` block named
after the tool the request forced (``tool_choice.name``), the way Claude answers a forced
tool call; ``reply_text`` answers with a text block only (no tool call).

Outside pytest: ``async with FakeOpenAIServer() as server: ...``.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import itertools
import json
import socket
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import pytest
from aiohttp import web

__all__ = [
    "FakeAnthropicServer",
    "FakeLLMServer",
    "FakeOpenAIServer",
    "RecordedRequest",
    "Reply",
    "fake_anthropic",
    "fake_openai",
]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    headers: Mapping[str, str]
    """Lower-cased header names."""
    body: Any
    """The JSON body, parsed; None when the body was empty or not JSON."""
    raw: bytes = field(repr=False)


Reply = Callable[[RecordedRequest], Awaitable[web.Response]]
"""One scripted answer: gets the request, returns the HTTP response."""


class FakeLLMServer(abc.ABC):
    """What both fakes share: the socket, the script, the request log, and the replies
    that do not depend on the provider's format (errors, delays, raw bodies)."""

    routes: ClassVar[tuple[str, ...]] = ()
    base_path: ClassVar[str] = ""
    id_prefix: ClassVar[str] = "fake"

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.default: Reply | None = None
        self._script: deque[Reply] = deque()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._closing = asyncio.Event()
        self._ids = itertools.count(1)

    # lifecycle

    async def start(self) -> Self:
        app = web.Application()
        for path in self.routes:
            app.router.add_post(path, self._handle)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        # handler_cancellation: a client that gives up (timeout) cancels the handler.
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def close(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def origin(self) -> str:
        if self._port is None:
            raise RuntimeError("the fake server is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def base_url(self) -> str:
        """What to pass as the SDK's ``base_url``."""
        return self.origin + self.base_path

    # scripting

    def enqueue(self, reply: Reply, *, times: int = 1) -> None:
        self._script.extend([reply] * times)

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        return len(self._script)

    def reply_error(
        self,
        status: int,
        message: str,
        *,
        type: str | None = None,
        code: str | None = None,
        retry_after_ms: int | None = None,
        times: int = 1,
    ) -> None:
        """An error status with the provider's error body. ``retry_after_ms`` adds the
        ``retry-after-ms`` header both SDKs honour (keeps retry tests fast)."""
        self.enqueue(
            self.error(status, message, type=type, code=code, retry_after_ms=retry_after_ms),
            times=times,
        )

    def reply_delay(self, seconds: float, then: Reply | None = None, *, times: int = 1) -> None:
        """Wait ``seconds`` before answering (longer than the client timeout = a timeout),
        then answer with ``then`` (default: a short text answer)."""
        after = then or self.text("late answer")

        async def reply(request: RecordedRequest) -> web.Response:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), seconds)
            return await after(request)

        self.enqueue(reply, times=times)

    def reply_raw(
        self,
        body: str | bytes,
        *,
        status: int = 200,
        content_type: str = "application/json",
        times: int = 1,
    ) -> None:
        """A body sent as given (e.g. not JSON at all, under a JSON content type)."""
        data = body.encode() if isinstance(body, str) else body

        async def reply(request: RecordedRequest) -> web.Response:
            return web.Response(status=status, body=data, headers={"Content-Type": content_type})

        self.enqueue(reply, times=times)

    def reply_body(self, body: Any, *, status: int = 200, times: int = 1) -> None:
        """A JSON body as given (e.g. JSON without the fields the SDK expects)."""
        self.enqueue(self._json(body, status), times=times)

    def reply_text(self, text: str, *, times: int = 1) -> None:
        """A normal text answer in the provider's format."""
        self.enqueue(self.text(text), times=times)

    def reply_json(self, value: Any, *, times: int = 1) -> None:
        """A structured answer carrying ``value`` the way the provider carries one."""
        self.enqueue(self.structured(value), times=times)

    # reply builders (also usable as ``default`` or ``then``)

    @abc.abstractmethod
    def text(self, text: str) -> Reply:
        """A normal text answer."""

    @abc.abstractmethod
    def structured(self, value: Any) -> Reply:
        """A structured answer carrying ``value``."""

    @abc.abstractmethod
    def error(
        self,
        status: int,
        message: str,
        *,
        type: str | None = None,
        code: str | None = None,
        retry_after_ms: int | None = None,
    ) -> Reply:
        """An error status with the provider's error body."""

    # plumbing

    def _next_id(self) -> str:
        return f"{self.id_prefix}{next(self._ids):06d}"

    @staticmethod
    def _json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
        async def reply(request: RecordedRequest) -> web.Response:
            return web.json_response(body, status=status, headers=dict(headers or {}))

        return reply

    async def _record(self, request: web.Request) -> RecordedRequest:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
            raw=raw,
        )
        self.requests.append(recorded)
        return recorded

    async def _handle(self, request: web.Request) -> web.Response:
        recorded = await self._record(request)
        if isinstance(recorded.body, dict) and recorded.body.get("stream"):
            return await self.error(400, "fake server: streaming is not supported")(recorded)
        if self._script:
            reply = self._script.popleft()
        elif self.default is not None:
            reply = self.default
        else:
            reply = self.error(500, "fake server: no scripted reply left for this request")
        return await reply(recorded)

    async def _not_found(self, request: web.Request) -> web.Response:
        recorded = await self._record(request)
        return await self.error(404, f"fake server: no route {request.method} {request.path}")(
            recorded
        )


_OPENAI_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}


class FakeOpenAIServer(FakeLLMServer):
    """OpenAI's ``POST /v1/chat/completions``: ``chat.completion`` bodies, errors as
    ``{"error": {"message", "type", "param", "code"}}`` with an ``x-request-id``."""

    routes = ("/v1/chat/completions",)
    base_path = "/v1"
    id_prefix = "chatcmpl-fake"

    def reply_content(
        self, content: str | None, *, finish_reason: str = "stop", times: int = 1
    ) -> None:
        """A completion whose message content is exactly ``content`` (e.g. not JSON)."""
        self.enqueue(self.completion(content=content, finish_reason=finish_reason), times=times)

    def reply_refusal(self, refusal: str, *, times: int = 1) -> None:
        """What Structured Outputs returns when the model refuses: content null, refusal set."""
        self.enqueue(self.completion(content=None, refusal=refusal), times=times)

    def text(self, text: str) -> Reply:
        return self.completion(content=text)

    def structured(self, value: Any) -> Reply:
        return self.completion(content=json.dumps(value))

    def completion(
        self, *, content: str | None, refusal: str | None = None, finish_reason: str = "stop"
    ) -> Reply:
        async def reply(request: RecordedRequest) -> web.Response:
            body = request.body if isinstance(request.body, dict) else {}
            prompt_tokens = len(json.dumps(body.get("messages", [])).split())
            completion_tokens = len((content or refusal or "").split())
            return web.json_response(
                {
                    "id": self._next_id(),
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": body.get("model", "unknown"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {
                                "role": "assistant",
                                "content": content,
                                "refusal": refusal,
                                "annotations": [],
                            },
                            "logprobs": None,
                            "finish_reason": finish_reason,
                        }
                    ],
                    "usage": {
                        "prompt_tokens": prompt_tokens,
                        "completion_tokens": completion_tokens,
                        "total_tokens": prompt_tokens + completion_tokens,
                    },
                    "service_tier": "default",
                    "system_fingerprint": "fp_fake",
                },
                headers={"x-request-id": f"req_{self._next_id()}"},
            )

        return reply

    def error(
        self,
        status: int,
        message: str,
        *,
        type: str | None = None,
        code: str | None = None,
        retry_after_ms: int | None = None,
    ) -> Reply:
        default_type, default_code = _OPENAI_ERROR_TYPES.get(status, ("server_error", None))
        headers = {"x-request-id": f"req_{self._next_id()}"}
        if retry_after_ms is not None:
            headers["retry-after-ms"] = str(retry_after_ms)
        body = {
            "error": {
                "message": message,
                "type": type or default_type,
                "param": None,
                "code": code if code is not None else default_code,
            }
        }
        return self._json(body, status, headers)


_ANTHROPIC_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    504: "timeout_error",
    529: "overloaded_error",
}


class FakeAnthropicServer(FakeLLMServer):
    """Anthropic's ``POST /v1/messages``: ``message`` bodies with ``content`` blocks
    (``text``, ``tool_use``), errors as ``{"type": "error", "error": {"type",
    "message"}, "request_id"}`` with a ``request-id`` header."""

    routes = ("/v1/messages",)
    base_path = ""
    id_prefix = "msg_fake"

    def reply_tool_call(self, name: str, tool_input: Any, *, times: int = 1) -> None:
        """A ``tool_use`` block for tool ``name`` (e.g. not the one asked for) with
        ``tool_input`` as given (e.g. not an object)."""
        self.enqueue(
            self.message(lambda _: [self._tool_use(name, tool_input)], stop_reason="tool_use"),
            times=times,
        )

    def reply_blocks(
        self, blocks: list[dict[str, Any]], *, stop_reason: str = "end_turn", times: int = 1
    ) -> None:
        """A message with exactly these content blocks and stop reason."""
        self.enqueue(self.message(lambda _: blocks, stop_reason=stop_reason), times=times)

    def text(self, text: str) -> Reply:
        return self.message(lambda _: [{"type": "text", "text": text}], stop_reason="end_turn")

    def structured(self, value: Any) -> Reply:
        def blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
            choice = body.get("tool_choice") or {}
            tools = body.get("tools") or []
            name = choice.get("name") or (tools[0].get("name") if tools else None)
            if name is None:
                raise _BadRequest(
                    "fake server: a structured reply was scripted, but the request has no tools"
                )
            return [self._tool_use(name, value)]

        return self.message(blocks, stop_reason="tool_use")

    def message(
        self,
        blocks: Callable[[dict[str, Any]], list[dict[str, Any]]],
        *,
        stop_reason: str,
    ) -> Reply:
        async def reply(request: RecordedRequest) -> web.Response:
            body = request.body if isinstance(request.body, dict) else {}
            try:
                content = blocks(body)
            except _BadRequest as exc:
                return await self.error(400, str(exc))(request)
            input_tokens = len(json.dumps(body.get("messages", [])).split())
            return web.json_response(
                {
                    "id": self._next_id(),
                    "type": "message",
                    "role": "assistant",
                    "model": body.get("model", "unknown"),
                    "content": content,
                    "stop_reason": stop_reason,
                    "stop_sequence": None,
                    "usage": {
                        "input_tokens": input_tokens,
                        "output_tokens": len(json.dumps(content).split()),
                        "cache_creation_input_tokens": 0,
                        "cache_read_input_tokens": 0,
                    },
                },
                headers={"request-id": f"req_{self._next_id()}"},
            )

        return reply

    def error(
        self,
        status: int,
        message: str,
        *,
        type: str | None = None,
        code: str | None = None,
        retry_after_ms: int | None = None,
    ) -> Reply:
        request_id = f"req_{self._next_id()}"
        headers = {"request-id": request_id}
        if retry_after_ms is not None:
            headers["retry-after-ms"] = str(retry_after_ms)
        error: dict[str, Any] = {
            "type": type or _ANTHROPIC_ERROR_TYPES.get(status, "api_error"),
            "message": message,
        }
        if code is not None:
            error["details"] = {"error_code": code}
        return self._json(
            {"type": "error", "error": error, "request_id": request_id}, status, headers
        )

    def _tool_use(self, name: str, tool_input: Any) -> dict[str, Any]:
        return {
            "type": "tool_use",
            "id": f"toolu_{self._next_id()}",
            "name": name,
            "input": tool_input,
        }


class _BadRequest(Exception):
    pass


@pytest.fixture
async def fake_openai() -> AsyncIterator[FakeOpenAIServer]:
    """A started ``FakeOpenAIServer`` on an ephemeral loopback port."""
    async with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
async def fake_anthropic() -> AsyncIterator[FakeAnthropicServer]:
    """A started ``FakeAnthropicServer`` on an ephemeral loopback port."""
    async with FakeAnthropicServer() as server:
        yield server
