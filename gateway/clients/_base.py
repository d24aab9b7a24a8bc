"""What every transport shares: the method table, call options, the Transport interface.

Transport (protocol)            one call: request model in, response model out,
 ├─ GrpcTransport  (_grpc.py)   BridgeError out on failure (same class for the same
 └─ HttpTransport  (_http.py)   error on both); connection failures are Unavailable.

``Transport.stream`` is the same for a server-streaming RPC: an async generator of
response models (a gRPC server stream, or SSE over HTTP) that raises the same
BridgeError on both protocols for a failure before or after the first message. The call
timeout bounds the whole stream. Close the generator (``aclose``, or ``async with
contextlib.aclosing(...)``) to stop early: the server's handler is stopped too.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Protocol

from google.protobuf.descriptor import ServiceDescriptor
from pydantic import BaseModel

from bridge.service import MethodInfo
from contract.binding import model_for
from contract.routes import route

Method = MethodInfo
"""One RPC as a client sees it (the bridge's MethodInfo)."""


def methods_of(descriptor: ServiceDescriptor) -> dict[str, Method]:
    return {
        proto.name: MethodInfo.resolve(
            descriptor, proto.name, model_for, route(descriptor.full_name, proto.name)
        )
        for proto in descriptor.methods
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class CallOptions:
    """Per call: who, which request, how long, and the key that makes a write retry-safe."""

    user_id: str | None = None
    request_id: str | None = None
    idempotency_key: str | None = None
    timeout: float = 10.0

    def headers(self, service_token: str | None) -> dict[str, str]:
        """The metadata/headers the bridge reads into its CallContext (same on both)."""
        out = {}
        if self.user_id:
            out["x-user-id"] = self.user_id
        if self.request_id:
            out["x-request-id"] = self.request_id
        if self.idempotency_key:
            out["idempotency-key"] = self.idempotency_key
        if service_token:
            out["authorization"] = f"Bearer {service_token}"
        return out


class Transport(Protocol):
    name: str

    async def call(self, method: Method, request: BaseModel, options: CallOptions) -> BaseModel: ...

    def stream(
        self, method: Method, request: BaseModel, options: CallOptions
    ) -> AsyncGenerator[BaseModel, None]: ...

    async def aclose(self) -> None: ...
