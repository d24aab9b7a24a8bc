"""The typed-client base: one method table, one transport, retries only where safe.

A failed call is retried (exponential backoff with jitter, via tenacity) only when the
failure is UNAVAILABLE (the request did not get through or the service is down) and the
call is safe to repeat: a read, or a write that carries an idempotency key. A stream
is retried by the same rule, and only while none of its messages has arrived: once one
has, a failure ends the stream with the error (the caller has seen part of it).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from contextlib import aclosing
from typing import TypeVar

from google.protobuf.descriptor import ServiceDescriptor
from pydantic import BaseModel
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from bridge.errors import Unavailable
from gateway.clients._base import CallOptions, Method, Transport, methods_of

R = TypeVar("R", bound=BaseModel)
T = TypeVar("T")
DEFAULT_OPTIONS = CallOptions()


class ServiceClient:
    descriptor: ServiceDescriptor

    def __init__(
        self,
        transport: Transport,
        *,
        attempts: int = 3,
        max_retry_seconds: float = 2.0,
        methods: Mapping[str, Method] | None = None,
    ) -> None:
        self.transport = transport
        self.methods: dict[str, Method] = dict(
            methods if methods is not None else methods_of(self.descriptor)
        )
        self.attempts = attempts
        self.max_retry_seconds = max_retry_seconds

    async def _call(
        self, name: str, request: BaseModel, options: CallOptions | None, response: type[R]
    ) -> R:
        method = self.methods[name]
        options = options or DEFAULT_OPTIONS
        try:
            result = await self.transport.call(method, request, options)
        except Unavailable:
            # The retry machinery is only built once a call has failed (the common path
            # stays a plain await).
            if not (method.is_read or options.idempotency_key is not None) or self.attempts < 2:
                raise
            result = await self._retry(method, request, options)
        assert isinstance(result, response)
        return result

    async def _stream(
        self, name: str, request: BaseModel, options: CallOptions | None, response: type[R]
    ) -> AsyncGenerator[R, None]:
        """A server-streaming call: its messages, in order. Close it to stop early."""
        method = self.methods[name]
        options = options or DEFAULT_OPTIONS

        async def open_stream() -> tuple[AsyncGenerator[BaseModel, None], list[BaseModel]]:
            events = self.transport.stream(method, request, options)
            try:
                return events, [await anext(events)]
            except StopAsyncIteration:
                return events, []
            except BaseException:
                await events.aclose()
                raise

        try:
            events, first = await open_stream()
        except Unavailable:
            if not (method.is_read or options.idempotency_key is not None) or self.attempts < 2:
                raise
            events, first = await self._retrying(open_stream)
        async with aclosing(events):
            for item in first:
                assert isinstance(item, response)
                yield item
            async for item in events:
                assert isinstance(item, response)
                yield item

    async def _retry(self, method: Method, request: BaseModel, options: CallOptions) -> BaseModel:
        return await self._retrying(lambda: self.transport.call(method, request, options))

    async def _retrying(self, attempt: Callable[[], Awaitable[T]]) -> T:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(Unavailable),
            stop=stop_after_attempt(self.attempts - 1) | stop_after_delay(self.max_retry_seconds),
            wait=wait_exponential_jitter(multiplier=0.05, max=0.5),
            reraise=True,
        )
        async for state in retrying:
            with state:
                return await attempt()
        raise AssertionError("unreachable: tenacity re-raises the last error")
