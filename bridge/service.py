"""Declare each RPC once: proto method, HTTP route and handler; both servers derive from it.

    engine = ServiceDefinition(engine_pb2.DESCRIPTOR.services_by_name["WorkflowService"],
                               converter=converter(), model_for=model_for)
    engine.unary("GetWorkflow", handlers.get_workflow,
                 http=get("/v1/workflows/{workflow_id}", query=("user_id",)))

The request and response models come from ``model_for`` (by proto message) and are
checked field by field against the proto messages when declared, so a drift fails at
start-up, not on the first call. A handler is ``async def (request, ctx) -> response``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import message_factory
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import Message
from pydantic import BaseModel

from bridge.context import CallContext
from bridge.converter import Converter

Handler = Callable[[Any, CallContext], Awaitable[Any]]
ModelResolver = Callable[[type[Message]], type[BaseModel]]

_PATH_PARAM = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)}")


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
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class UnaryMethod(MethodInfo):
    """One served RPC, fully resolved: what both protocol adapters are derived from."""

    handler: Handler
    converter: Converter
    query_fields: tuple[str, ...]
    body_fields: tuple[str, ...]


@dataclass
class ServiceDefinition:
    """The RPCs of one proto service, each declared once."""

    descriptor: ServiceDescriptor
    converter: Converter
    model_for: ModelResolver
    methods: list[UnaryMethod] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.descriptor.full_name)

    def unary(self, name: str, handler: Handler, *, http: HttpRoute) -> UnaryMethod:
        proto = self.descriptor.methods_by_name.get(name)
        if proto is not None and (proto.client_streaming or proto.server_streaming):
            raise ValueError(f"{self.name}/{name} is streaming; declare it with a streaming rpc")
        if any(m.name == name for m in self.methods):
            raise ValueError(f"{self.name}/{name} is declared twice")
        info = MethodInfo.resolve(self.descriptor, name, self.model_for, http)
        self.converter.check(info.request_model, info.request_message)
        self.converter.check(info.response_model, info.response_message)
        query, body = _split_fields(info.request_model, http, f"{self.name}/{name}")
        method = UnaryMethod(
            service=info.service,
            name=name,
            request_model=info.request_model,
            response_model=info.response_model,
            request_message=info.request_message,
            response_message=info.response_message,
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
