"""The gRPC side: a generic grpc.aio handler per declared service, derived from its methods."""

from __future__ import annotations

from collections.abc import Sequence

import grpc
from google.protobuf.message import Message
from pydantic import BaseModel

from bridge.context import AUTHORIZATION, REQUEST_ID, build_context
from bridge.converter import ConversionError
from bridge.dispatch import Dispatcher
from bridge.errors import BridgeError, InvalidArgument
from bridge.service import ServiceDefinition, UnaryMethod


def generic_handlers(
    services: Sequence[ServiceDefinition], dispatcher: Dispatcher
) -> list[grpc.GenericRpcHandler]:
    """One generic handler per service, registered under its real proto service name."""
    return [
        grpc.method_handlers_generic_handler(
            service.name,
            {
                method.name: grpc.unary_unary_rpc_method_handler(
                    _unary(method, dispatcher),
                    request_deserializer=method.request_message.FromString,
                    response_serializer=method.response_message.SerializeToString,
                )
                for method in service.methods
            },
        )
        for service in services
    ]


def _unary(method: UnaryMethod, dispatcher: Dispatcher):  # type: ignore[no-untyped-def]
    converter = method.converter
    request_model = method.request_model
    response_message = method.response_message

    async def handle(request: Message, context: grpc.aio.ServicerContext) -> Message:
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

        async def decode() -> BaseModel:
            try:
                return converter.from_proto(request, request_model)
            except ConversionError as exc:
                raise InvalidArgument.from_conversion(exc) from None

        def encode(response: BaseModel) -> Message:
            return converter.to_proto(response, response_message)

        try:
            result = await dispatcher.call(method, ctx, metadata.get(AUTHORIZATION), decode, encode)
        except BridgeError as exc:
            status = exc.to_grpc_status()
            await context.abort_with_status(
                _Status(
                    status.code,
                    status.details,
                    (*status.trailing_metadata, (REQUEST_ID, ctx.request_id)),
                )
            )
            raise AssertionError("unreachable: abort_with_status raises") from exc
        await context.send_initial_metadata(((REQUEST_ID, ctx.request_id),))
        return result

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
