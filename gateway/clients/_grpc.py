"""gRPC transport: one long-lived grpc.aio channel; messages via the contract converter."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import grpc
from pydantic import BaseModel

from bridge.errors import BridgeError, DeadlineExceeded, Unavailable, from_grpc_error
from contract.binding import converter
from gateway.clients._base import CallOptions, Method


class GrpcTransport:
    name = "grpc"

    def __init__(self, target: str, *, service_token: str | None = None) -> None:
        if "://" in target:
            raise ValueError(f"gRPC target is host:port, not a URL: {target!r}")
        self.target = target
        self._token = service_token
        self._channel = grpc.aio.insecure_channel(
            target, options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)]
        )
        self._stubs: dict[str, Any] = {}
        self._stream_stubs: dict[str, Any] = {}
        self._converter = converter()

    def _stub(self, method: Method) -> Any:
        stub = self._stubs.get(method.grpc_path)
        if stub is None:
            stub = self._stubs[method.grpc_path] = self._channel.unary_unary(
                method.grpc_path,
                request_serializer=method.request_message.SerializeToString,
                response_deserializer=method.response_message.FromString,
            )
        return stub

    def _stream_stub(self, method: Method) -> Any:
        stub = self._stream_stubs.get(method.grpc_path)
        if stub is None:
            stub = self._stream_stubs[method.grpc_path] = self._channel.unary_stream(
                method.grpc_path,
                request_serializer=method.request_message.SerializeToString,
                response_deserializer=method.response_message.FromString,
            )
        return stub

    async def call(self, method: Method, request: BaseModel, options: CallOptions) -> BaseModel:
        message = self._converter.to_proto(request, method.request_message)
        try:
            reply = await self._stub(method)(
                message,
                timeout=options.timeout,
                metadata=tuple(options.headers(self._token).items()),
            )
        except grpc.aio.AioRpcError as exc:
            raise _error(exc) from exc
        except OSError as exc:  # the channel never got a connection
            raise Unavailable(f"{self.target}: {exc}") from exc
        return self._converter.from_proto(reply, method.response_model)

    async def stream(
        self, method: Method, request: BaseModel, options: CallOptions
    ) -> AsyncGenerator[BaseModel, None]:
        """The server stream's messages; the call is cancelled if the caller stops early."""
        message = self._converter.to_proto(request, method.request_message)
        call = self._stream_stub(method)(
            message, timeout=options.timeout, metadata=tuple(options.headers(self._token).items())
        )
        try:
            while True:
                try:
                    reply = await call.read()
                except grpc.aio.AioRpcError as exc:
                    raise _error(exc) from exc
                except OSError as exc:
                    raise Unavailable(f"{self.target}: {exc}") from exc
                if reply is grpc.aio.EOF:
                    return
                yield self._converter.from_proto(reply, method.response_model)
        finally:
            call.cancel()  # no-op once the call is done; stops the server's handler if not

    async def aclose(self) -> None:
        await self._channel.close()


def _error(exc: grpc.aio.AioRpcError) -> BridgeError:
    error = from_grpc_error(exc)
    if exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
        return DeadlineExceeded(error.message or "deadline exceeded")
    return error
