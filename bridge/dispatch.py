"""The protocol-independent core of a call: decode, run the handler, encode, account.

Both adapters (``_grpc_adapter``, ``_http_adapter``) hand their raw request to
``Dispatcher.call`` (unary) or ``Dispatcher.stream`` (server streaming) with a decode and
an encode function; everything else (auth, deadline, error mapping, metrics, logs)
happens here once, so both protocols give the same answer and the same error for the
same call.

A stream is opened in two steps, the same on both protocols: ``stream`` authorises,
decodes, starts the handler and waits for its first message; any failure up to there is
raised from ``stream`` itself, so the adapter answers with an ordinary error (a gRPC
status, an HTTP error response) before committing to a stream. After that, the returned
generator yields encoded messages and raises ``BridgeError`` for a failure mid-stream.
The deadline bounds the whole stream. Closing the generator (client gone) closes the
handler's generator, so its ``finally`` runs at once.
"""

from __future__ import annotations

import asyncio
import hmac
import inspect
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, aclosing, nullcontext
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from bridge.context import CallContext
from bridge.errors import BridgeError, DeadlineExceeded, Internal, Unauthenticated
from bridge.metrics import Metrics
from bridge.service import ServedMethod, ServerStreamMethod, UnaryMethod

T = TypeVar("T")
log = logging.getLogger("bridge.calls")

ErrorTranslator = Callable[[Exception], BridgeError | None]
"""A service's own mapping of exceptions its handlers let through (None: not one of
ours, so INTERNAL)."""


class Dispatcher:
    """Runs handlers for one server; shared by its gRPC and HTTP adapters."""

    def __init__(
        self,
        *,
        metrics: Metrics,
        service_token: str | None,
        translate: ErrorTranslator | None = None,
    ) -> None:
        self.metrics = metrics
        self._token = f"Bearer {service_token}" if service_token else None
        self._translate = translate

    def authenticate(self, authorization: str | None) -> None:
        """With SERVICE_TOKEN set, every API call must present it (constant-time compare)."""
        if self._token is None:
            return
        if authorization is None or not hmac.compare_digest(
            authorization.encode(), self._token.encode()
        ):
            raise Unauthenticated("missing or invalid service token")

    async def call(
        self,
        method: UnaryMethod,
        ctx: CallContext,
        authorization: str | None,
        decode: Callable[[], Awaitable[BaseModel]],
        encode: Callable[[BaseModel], T],
    ) -> T:
        """Decode, authorise, run and encode one call; raise BridgeError on any failure."""
        start = time.perf_counter()
        code = "OK"
        try:
            self.authenticate(authorization)
            request = await decode()
            response = await self._run(method, request, ctx)
            return encode(response)
        except BridgeError as exc:
            code = exc.code.name
            raise
        except asyncio.CancelledError:
            code = "CANCELLED"
            raise
        except Exception as exc:
            mapped = self._translated(exc, method, ctx)
            code = mapped.code.name
            raise mapped from None
        finally:
            self._account(method, ctx, code, start)

    async def stream(
        self,
        method: ServerStreamMethod,
        ctx: CallContext,
        authorization: str | None,
        decode: Callable[[], Awaitable[BaseModel]],
        encode: Callable[[BaseModel], T],
    ) -> MessageStream[T]:
        """Open a stream: authorise, decode, start the handler, wait for its first message.

        Raises BridgeError for a failure before the first message; the stream returned
        yields the encoded messages (the first one included) and raises BridgeError for a
        failure after it. Close it (``aclose``) when the client goes away."""
        messages = self._stream(method, ctx, authorization, decode, encode)
        try:
            first = await anext(messages)
        except StopAsyncIteration:
            return MessageStream(None)
        return MessageStream(messages, first)

    async def _stream(
        self,
        method: ServerStreamMethod,
        ctx: CallContext,
        authorization: str | None,
        decode: Callable[[], Awaitable[BaseModel]],
        encode: Callable[[BaseModel], T],
    ) -> AsyncGenerator[T, None]:
        start = time.perf_counter()
        code = "OK"
        sent = 0
        try:
            self.authenticate(authorization)
            request = await decode()
            events = method.handler(request, ctx)
            if not isinstance(events, AsyncIterator):
                if inspect.iscoroutine(events):
                    events.close()  # an `async def` that returns: never awaited, not leaked
                raise TypeError(f"{method.name} is a streaming rpc: its handler must yield")
            async with _closing(events):
                while True:
                    try:
                        message = await self._next(method, events, ctx)
                    except StopAsyncIteration:
                        break
                    if not isinstance(message, method.response_model):
                        raise TypeError(
                            f"{method.name} yielded {type(message).__name__}, "
                            f"expected {method.response_model.__name__}"
                        )
                    encoded = encode(message)
                    sent += 1
                    yield encoded
        except BridgeError as exc:
            code = exc.code.name
            raise
        except (asyncio.CancelledError, GeneratorExit):
            code = "CANCELLED"  # the client went away (or the server is stopping)
            raise
        except Exception as exc:
            mapped = self._translated(exc, method, ctx)
            code = mapped.code.name
            raise mapped from None
        finally:
            self._account(method, ctx, code, start, messages=sent)

    @staticmethod
    async def _next(
        method: ServerStreamMethod, events: AsyncIterator[Any], ctx: CallContext
    ) -> Any:
        """The handler's next message, within the call's deadline (which bounds the whole
        stream: time spent waiting for a slow client counts too)."""
        if ctx.deadline is None:
            return await anext(events)
        if asyncio.get_running_loop().time() >= ctx.deadline:
            raise DeadlineExceeded(f"deadline exceeded in {method.name}")
        try:
            async with asyncio.timeout_at(ctx.deadline) as scope:
                return await anext(events)
        except TimeoutError:
            if scope.expired():
                raise DeadlineExceeded(f"deadline exceeded in {method.name}") from None
            raise

    def _translated(self, exc: Exception, method: ServedMethod, ctx: CallContext) -> BridgeError:
        """What an unexpected exception becomes: the service's translation (a database
        that is busy or unreachable is UNAVAILABLE, so safe calls are retried), else
        INTERNAL with the traceback logged."""
        mapped = self._translate(exc) if self._translate is not None else None
        if mapped is None:
            return self._internal(method, ctx)
        log.warning(
            "call failed",
            extra={"request_id": ctx.request_id, "rpc": f"{method.service}/{method.name}",
                   "code": mapped.code.name, "error": f"{type(exc).__name__}: {exc}"},
        )  # fmt: skip
        return mapped

    @staticmethod
    def _internal(method: ServedMethod, ctx: CallContext) -> Internal:
        # Full traceback in the log, tied to the request id; nothing of it to the caller.
        log.exception(
            "unhandled error",
            extra={"request_id": ctx.request_id, "rpc": f"{method.service}/{method.name}"},
        )
        return Internal(f"internal error (request id {ctx.request_id})")

    def _account(
        self,
        method: ServedMethod,
        ctx: CallContext,
        code: str,
        start: float,
        *,
        messages: int | None = None,
    ) -> None:
        elapsed = time.perf_counter() - start
        self.metrics.observe(ctx.protocol, method.service, method.name, code, elapsed)
        if messages is not None:
            self.metrics.observe_stream(ctx.protocol, method.service, method.name, messages)
        if log.isEnabledFor(logging.INFO):
            extra: dict[str, object] = {
                "request_id": ctx.request_id,
                "protocol": ctx.protocol,
                "rpc": f"{method.service}/{method.name}",
                "code": code,
                "duration_ms": round(elapsed * 1000, 3),
                "user_id": ctx.user_id,
            }
            if messages is not None:
                extra["messages"] = messages
            log.info("call", extra=extra)

    async def _run(self, method: UnaryMethod, request: BaseModel, ctx: CallContext) -> BaseModel:
        timeout: AbstractAsyncContextManager[Any] = (
            asyncio.timeout_at(ctx.deadline) if ctx.deadline is not None else nullcontext()
        )
        try:
            async with timeout as scope:
                response = await method.handler(request, ctx)
        except TimeoutError:
            if scope is not None and scope.expired():
                raise DeadlineExceeded(f"deadline exceeded in {method.name}") from None
            raise
        if not isinstance(response, method.response_model):
            raise TypeError(
                f"{method.name} returned {type(response).__name__}, "
                f"expected {method.response_model.__name__}"
            )
        return response


def _closing(events: AsyncIterator[Any]) -> AbstractAsyncContextManager[Any]:
    """Close the handler's generator however the stream ends (``finally`` runs at once)."""
    return aclosing(events) if hasattr(events, "aclose") else nullcontext()


class MessageStream(Generic[T]):
    """The encoded messages of an opened stream, the first one already received."""

    __slots__ = ("_first", "_has_first", "_rest")

    def __init__(self, rest: AsyncGenerator[T, None] | None, *first: T) -> None:
        self._rest = rest
        self._has_first = bool(first)
        self._first = first[0] if first else None

    def __aiter__(self) -> MessageStream[T]:
        return self

    async def __anext__(self) -> T:
        if self._has_first:
            self._has_first = False
            first, self._first = self._first, None
            return first  # type: ignore[return-value]  # set together with _has_first
        if self._rest is None:
            raise StopAsyncIteration
        return await anext(self._rest)

    async def aclose(self) -> None:
        """Stop the handler (its ``finally`` runs now); idempotent."""
        self._has_first = False
        self._first = None
        if self._rest is not None:
            await self._rest.aclose()
