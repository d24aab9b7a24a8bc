"""The gRPC side: a generic grpc.aio handler per declared service, derived from its methods.

A server-streaming method is served with ``context.write``: each write waits until
grpc.aio has handed the message to the transport, which HTTP/2 flow control holds back
while the client does not read, so the handler never runs far ahead of a slow client.
A client that cancels (or whose deadline passes) cancels the handler task; the stream
is closed on the way out, so the handler's ``finally`` runs at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import aclosing
from typing import NoReturn

import grpc
from google.protobuf.message import Message
from pydantic import BaseModel

from bridge.context import AUTHORIZATION, REQUEST_ID, CallContext, build_context
from bridge.converter import ConversionError
from bridge.dispatch import Dispatcher
from bridge.errors import BridgeError, InvalidArgument
from bridge.service import ServedMethod, ServerStreamMethod, ServiceDefinition, UnaryMethod


def generic_handlers(
    services: Sequence[ServiceDefinition], dispatcher: Dispatcher
) -> list[grpc.GenericRpcHandler]:
    """One generic handler per service, registered under its real proto service name."""
    return [
        grpc.method_handlers_generic_handler(
            service.name,
            {method.name: _method_handler(method, dispatcher) for method in service.methods},
        )
        for service in services
    ]


def _method_handler(method: ServedMethod, dispatcher: Dispatcher) -> grpc.RpcMethodHandler:
    if isinstance(method, ServerStreamMethod):
        return grpc.unary_stream_rpc_method_handler(
            _server_stream(method, dispatcher),
            request_deserializer=method.request_message.FromString,
            response_serializer=method.response_message.SerializeToString,
        )
    assert isinstance(method, UnaryMethod)
    return grpc.unary_unary_rpc_method_handler(
        _unary(method, dispatcher),
        request_deserializer=method.request_message.FromString,
        response_serializer=method.response_message.SerializeToString,
    )


def _call_context(
    method: ServedMethod, context: grpc.aio.ServicerContext
) -> tuple[CallContext, dict[str, str]]:
    metadata = {
        key.lower(): value
        for key, value in (context.invocation_metadata() or ())
        if isinstance(value, str)
    }
    ctx = build_context(
        protocol="grpc",
        service=method.service,
        method=method.name,
        headers=metadata,
        timeout=context.time_remaining(),
    )
    return ctx, metadata


def _codec(
    method: ServedMethod, request: Message
) -> tuple[Callable[[], Awaitable[BaseModel]], Callable[[BaseModel], Message]]:
    converter = method.converter
    request_model = method.request_model
    response_message = method.response_message

    async def decode() -> BaseModel:
        try:
            return converter.from_proto(request, request_model)
        except ConversionError as exc:
            raise InvalidArgument.from_conversion(exc) from None

    def encode(response: BaseModel) -> Message:
        return converter.to_proto(response, response_message)

    return decode, encode


async def _abort(context: grpc.aio.ServicerContext, exc: BridgeError, request_id: str) -> NoReturn:
    status = exc.to_grpc_status()
    await context.abort_with_status(
        _Status(status.code, status.details, (*status.trailing_metadata, (REQUEST_ID, request_id)))
    )
    raise AssertionError("unreachable: abort_with_status raises") from exc


def _unary(method: UnaryMethod, dispatcher: Dispatcher):  # type: ignore[no-untyped-def]
    async def handle(request: Message, context: grpc.aio.ServicerContext) -> Message:
        ctx, metadata = _call_context(method, context)
        decode, encode = _codec(method, request)
        try:
            result = await dispatcher.call(method, ctx, metadata.get(AUTHORIZATION), decode, encode)
        except BridgeError as exc:
            await _abort(context, exc, ctx.request_id)
        await context.send_initial_metadata(((REQUEST_ID, ctx.request_id),))
        return result

    return handle


def _server_stream(method: ServerStreamMethod, dispatcher: Dispatcher):  # type: ignore[no-untyped-def]
    async def handle(request: Message, context: grpc.aio.ServicerContext) -> None:
        ctx, metadata = _call_context(method, context)
        decode, encode = _codec(method, request)
        try:
            stream = await dispatcher.stream(
                method, ctx, metadata.get(AUTHORIZATION), decode, encode
            )
        except BridgeError as exc:  # before the first message: a plain status, no messages
            await _abort(context, exc, ctx.request_id)
        async with aclosing(stream):
            await context.send_initial_metadata(((REQUEST_ID, ctx.request_id),))
            try:
                async for message in stream:
                    await context.write(message)
            except BridgeError as exc:  # mid-stream: the messages so far, then the status
                await _abort(context, exc, ctx.request_id)

    return handle


class _Status(grpc.Status):  # type: ignore[misc]  # grpc ships no type stubs
    """grpc.Status is an interface; this is the plain value object abort_with_status takes."""

    def __init__(
        self,
        code: grpc.StatusCode,
        details: str,
        trailing_metadata: tuple[tuple[str, str | bytes], ...],
    ) -> None:
        self.code = code
        self.details = details
        self.trailing_metadata = trailing_metadata
