"""The protocol-independent core of a call: decode, run the handler, encode, account.

Both adapters (``_grpc_adapter``, ``_http_adapter``) hand their raw request to
``Dispatcher.call`` with a decode and an encode function; everything else (auth,
deadline, error mapping, metrics, logs) happens here once, so both protocols give the
same answer and the same error for the same call.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any, TypeVar

from pydantic import BaseModel

from bridge.context import CallContext
from bridge.errors import BridgeError, DeadlineExceeded, Internal, Unauthenticated
from bridge.metrics import Metrics
from bridge.service import UnaryMethod

T = TypeVar("T")
log = logging.getLogger("bridge.calls")


class Dispatcher:
    """Runs handlers for one server; shared by its gRPC and HTTP adapters."""

    def __init__(self, *, metrics: Metrics, service_token: str | None) -> None:
        self.metrics = metrics
        self._token = f"Bearer {service_token}" if service_token else None

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
        except Exception:
            code = "INTERNAL"
            # Full traceback in the log, tied to the request id; nothing of it to the caller.
            log.exception(
                "unhandled error",
                extra={"request_id": ctx.request_id, "rpc": f"{method.service}/{method.name}"},
            )
            raise Internal(f"internal error (request id {ctx.request_id})") from None
        finally:
            elapsed = time.perf_counter() - start
            self.metrics.observe(ctx.protocol, method.service, method.name, code, elapsed)
            if log.isEnabledFor(logging.INFO):
                log.info(
                    "call",
                    extra={
                        "request_id": ctx.request_id,
                        "protocol": ctx.protocol,
                        "rpc": f"{method.service}/{method.name}",
                        "code": code,
                        "duration_ms": round(elapsed * 1000, 3),
                        "user_id": ctx.user_id,
                    },
                )

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
