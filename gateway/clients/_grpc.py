"""gRPC transport: one long-lived grpc.aio channel; messages via the contract converter."""

from __future__ import annotations

from typing import Any

import grpc
from pydantic import BaseModel

from bridge.errors import DeadlineExceeded, Unavailable, from_grpc_error
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

    async def call(self, method: Method, request: BaseModel, options: CallOptions) -> BaseModel:
        message = self._converter.to_proto(request, method.request_message)
        try:
            reply = await self._stub(method)(
                message,
                timeout=options.timeout,
                metadata=tuple(options.headers(self._token).items()),
            )
        except grpc.aio.AioRpcError as exc:
            error = from_grpc_error(exc)
            if exc.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                raise DeadlineExceeded(error.message or "deadline exceeded") from exc
            raise error from exc
        except OSError as exc:  # the channel never got a connection
            raise Unavailable(f"{self.target}: {exc}") from exc
        return self._converter.from_proto(reply, method.response_model)

    async def aclose(self) -> None:
        await self._channel.close()
