"""Declare each RPC once: proto method, HTTP route and handler; both servers derive from it.

    engine = ServiceDefinition(engine_pb2.DESCRIPTOR.services_by_name["WorkflowService"],
                               converter=converter(), model_for=model_for)
    engine.unary("GetWorkflow", handlers.get_workflow,
                 http=get("/v1/workflows/{workflow_id}", query=("user_id",)))

A server-streaming RPC is declared the same way; its handler is an async generator of
response models (gRPC server stream, SSE over HTTP: see ``bridge/_http_adapter.py``)::

    agent.server_stream("ProcessConversation", handlers.process_conversation,
                        http=post("/v1/conversations/{session_id}/turns"))

The request and response models come from ``model_for`` (by proto message) and are
checked field by field against the proto messages when declared, so a drift fails at
start-up, not on the first call. A handler is ``async def (request, ctx) -> response``;
a streaming handler ``async def (request, ctx) -> AsyncIterator[response]`` (``yield``).
"""

from __future__ import annotations

import enum
import re
import typing
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import message_factory
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import Message
from pydantic import BaseModel

from bridge.context import CallContext
from bridge.converter import Converter

Handler = Callable[[Any, CallContext], Awaitable[Any]]
StreamHandler = Callable[[Any, CallContext], AsyncIterator[Any]]
ModelResolver = Callable[[type[Message]], type[BaseModel]]

_PATH_PARAM = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)}")

EVENT_KIND_FIELD = "kind"
"""A streamed message with a field of this name names its SSE event by the field's value."""
RESERVED_EVENTS = frozenset({"error", "end"})
"""SSE event names the bridge itself uses (the stream's error and its clean end)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpRoute:
    """Where an RPC lives on HTTP. Path parameters are request fields named in ``{}``;
    ``query`` fields come from the query string; every other field from the JSON body
    (GET and DELETE have no body: all their other fields are query fields)."""

    method: str
    path: str
    status: int = 200
    query: tuple[str, ...] = ()

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(_PATH_PARAM.findall(self.path))

    @property
    def has_body(self) -> bool:
        return self.method not in {"GET", "DELETE"}


def get(path: str, *, status: int = 200) -> HttpRoute:
    return HttpRoute(method="GET", path=path, status=status)


def delete(path: str, *, status: int = 200) -> HttpRoute:
    return HttpRoute(method="DELETE", path=path, status=status)


def post(path: str, *, status: int = 200, query: Sequence[str] = ()) -> HttpRoute:
    return HttpRoute(method="POST", path=path, status=status, query=tuple(query))


def patch(path: str, *, status: int = 200, query: Sequence[str] = ()) -> HttpRoute:
    return HttpRoute(method="PATCH", path=path, status=status, query=tuple(query))


def put(path: str, *, status: int = 200, query: Sequence[str] = ()) -> HttpRoute:
    return HttpRoute(method="PUT", path=path, status=status, query=tuple(query))


@dataclass(frozen=True, slots=True, kw_only=True)
class MethodInfo:
    """One RPC as both sides know it: proto messages, Pydantic models, HTTP route."""

    service: str
    """Full proto service name, e.g. ``contract.engine.v1.WorkflowService``."""
    name: str
    request_model: type[BaseModel]
    response_model: type[BaseModel]
    request_message: type[Message]
    response_message: type[Message]
    http: HttpRoute
    server_streaming: bool = False
    """The RPC answers with a stream of ``response_model`` messages."""

    @property
    def grpc_path(self) -> str:
        return f"/{self.service}/{self.name}"

    @property
    def is_read(self) -> bool:
        """Reads are safe to retry and to shadow."""
        return self.http.method == "GET"

    @classmethod
    def resolve(
        cls, descriptor: ServiceDescriptor, name: str, model_for: ModelResolver, http: HttpRoute
    ) -> MethodInfo:
        proto = descriptor.methods_by_name.get(name)
        if proto is None:
            raise ValueError(f"{descriptor.full_name} has no method {name!r}")
        request_message = message_factory.GetMessageClass(proto.input_type)
        response_message = message_factory.GetMessageClass(proto.output_type)
        return cls(
            service=descriptor.full_name,
            name=name,
            request_model=model_for(request_message),
            response_model=model_for(response_message),
            request_message=request_message,
            response_message=response_message,
            http=http,
            server_streaming=proto.server_streaming,
        )

    def event_names(self) -> tuple[str, ...] | None:
        """Every ``event:`` name the stream can use (None: any, a free-form ``kind``)."""
        return event_names(self.response_model, str(self.response_message.DESCRIPTOR.name))

    def sse_event(self, message: BaseModel) -> tuple[str, bytes]:
        """One streamed message as SSE needs it: its ``event:`` name and its JSON."""
        return self.event_name(message), message.__pydantic_serializer__.to_json(message)

    def event_name(self, message: BaseModel) -> str:
        """The SSE ``event:`` name of one streamed message: the value of its ``kind``
        field, lower-cased, if the message has one; else the proto message name."""
        if EVENT_KIND_FIELD not in self.response_model.model_fields:
            return str(self.response_message.DESCRIPTOR.name)
        kind = getattr(message, EVENT_KIND_FIELD)
        name = str(kind.value if isinstance(kind, enum.Enum) else kind).lower()
        if name in RESERVED_EVENTS or not name or "\n" in name or "\r" in name:
            raise ValueError(f"{self.name}: {EVENT_KIND_FIELD}={kind!r} is no usable event name")
        return name


@dataclass(frozen=True, slots=True, kw_only=True)
class ServedMethod(MethodInfo):
    """One served RPC, fully resolved: what both protocol adapters are derived from."""

    handler: Handler | StreamHandler
    converter: Converter
    query_fields: tuple[str, ...]
    body_fields: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class UnaryMethod(ServedMethod):
    """A unary RPC: ``async def (request, ctx) -> response``."""

    handler: Handler


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerStreamMethod(ServedMethod):
    """A server-streaming RPC: ``async def (request, ctx) -> AsyncIterator[response]``."""

    handler: StreamHandler


_M = typing.TypeVar("_M", bound=ServedMethod)


@dataclass
class ServiceDefinition:
    """The RPCs of one proto service, each declared once."""

    descriptor: ServiceDescriptor
    converter: Converter
    model_for: ModelResolver
    methods: list[ServedMethod] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.descriptor.full_name)

    def unary(self, name: str, handler: Handler, *, http: HttpRoute) -> UnaryMethod:
        """Declare a unary RPC (a streaming proto method is refused: use ``server_stream``)."""
        proto = self.descriptor.methods_by_name.get(name)
        if proto is not None and (proto.client_streaming or proto.server_streaming):
            raise ValueError(f"{self.name}/{name} is streaming; declare it with a streaming rpc")
        return self._add(UnaryMethod, name, handler, http)

    def server_stream(
        self, name: str, handler: StreamHandler, *, http: HttpRoute
    ) -> ServerStreamMethod:
        """Declare a server-streaming RPC: gRPC server stream, and SSE over HTTP."""
        proto = self.descriptor.methods_by_name.get(name)
        if proto is not None and not (proto.server_streaming and not proto.client_streaming):
            raise ValueError(
                f"{self.name}/{name} is not server-streaming; declare it with unary "
                "(client streaming is not supported)"
            )
        return self._add(ServerStreamMethod, name, handler, http)

    def _add(self, kind: type[_M], name: str, handler: Any, http: HttpRoute) -> _M:
        if any(m.name == name for m in self.methods):
            raise ValueError(f"{self.name}/{name} is declared twice")
        info = MethodInfo.resolve(self.descriptor, name, self.model_for, http)
        if info.server_streaming:
            _check_event_kind(info, f"{self.name}/{name}")
        self.converter.check(info.request_model, info.request_message)
        self.converter.check(info.response_model, info.response_message)
        query, body = _split_fields(info.request_model, http, f"{self.name}/{name}")
        method = kind(
            service=info.service,
            name=name,
            request_model=info.request_model,
            response_model=info.response_model,
            request_message=info.request_message,
            response_message=info.response_message,
            server_streaming=info.server_streaming,
            handler=handler,
            http=http,
            converter=self.converter,
            query_fields=query,
            body_fields=body,
        )
        self.methods.append(method)
        return method

    def declare(
        self, rpcs: Mapping[str, Handler], *, routes: Callable[[str, str], HttpRoute]
    ) -> None:
        """Declare several RPCs at once, each at the route ``routes(service, method)`` gives."""
        for name, handler in rpcs.items():
            self.unary(name, handler, http=routes(self.name, name))

    def check_complete(self) -> None:
        """Every method of the proto service has a declaration (call before serving)."""
        missing = sorted(set(self.descriptor.methods_by_name) - {m.name for m in self.methods})
        if missing:
            raise ValueError(f"{self.name}: no declaration for {missing}")


def _check_event_kind(info: MethodInfo, where: str) -> None:
    """A ``kind`` enum must not name an event the bridge reserves (checked at start-up)."""
    clash = sorted(set(info.event_names() or ()) & RESERVED_EVENTS)
    if clash:
        raise ValueError(f"{where}: {EVENT_KIND_FIELD} values {clash} are reserved SSE events")


def event_names(model: type[BaseModel], message_name: str) -> tuple[str, ...] | None:
    """The SSE event names a streamed ``model`` can have (None: any, a free-form ``kind``)."""
    info = model.model_fields.get(EVENT_KIND_FIELD)
    if info is None:
        return (message_name,)
    for kind in (info.annotation, *typing.get_args(info.annotation)):
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            return tuple(str(m.value).lower() for m in kind)
    return None


def _split_fields(
    model: type[BaseModel], route: HttpRoute, where: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    fields = set(model.model_fields)
    if not route.path.startswith("/"):
        raise ValueError(f"{where}: HTTP path must start with '/': {route.path!r}")
    unknown = [p for p in (*route.path_params, *route.query) if p not in fields]
    if unknown:
        raise ValueError(f"{where}: route names fields {unknown} that {model.__name__} lacks")
    rest = [f for f in model.model_fields if f not in route.path_params and f not in route.query]
    if route.has_body:
        return route.query, tuple(rest)
    return (*route.query, *rest), ()
