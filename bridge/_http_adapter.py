"""The HTTP side: a FastAPI app whose routes are derived from the declared methods.

Each route reads path parameters, query parameters and the JSON body into one dict and
validates it with the request model (so HTTP and gRPC requests go through the very same
validation and produce the same field violations). OpenAPI documents the same models.

A server-streaming method answers ``text/event-stream`` (the format is in ``bridge.sse``)
once its first message is there; a failure before that is an ordinary JSON error
response. Starlette pulls the next event only after the previous one was handed to
uvicorn, and uvicorn waits while the socket's write buffer is full, so a slow client
holds the handler back instead of making the server buffer. A client that disconnects
stops the stream, and the handler's generator is closed at once.
"""

from __future__ import annotations

import asyncio
import json
import typing
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import anyio.lowlevel
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, ValidationError, create_model
from pydantic.json_schema import models_json_schema
from pydantic_core import from_json
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import StreamingResponse
from starlette.routing import Match
from starlette.types import Receive, Scope, Send

from bridge import sse
from bridge.context import AUTHORIZATION, REQUEST_ID, CallContext, build_context, http_timeout
from bridge.converter import FieldViolation, violations_from_validation_error
from bridge.dispatch import Dispatcher, MessageStream
from bridge.errors import (
    HTTP_TO_CODE,
    BridgeError,
    Code,
    InvalidArgument,
    ResourceExhausted,
    error_for,
)
from bridge.health import HealthState
from bridge.metrics import Metrics
from bridge.service import ServedMethod, ServerStreamMethod, ServiceDefinition, UnaryMethod

JSON = "application/json"


def build_http_app(
    *,
    title: str,
    version: str,
    services: Sequence[ServiceDefinition],
    dispatcher: Dispatcher,
    health: HealthState,
    metrics: Metrics,
    max_request_bytes: int,
    cors_origins: Sequence[str] = (),
    sse_keepalive_seconds: float = 15.0,
) -> FastAPI:
    app = FastAPI(title=title, version=version, docs_url="/docs", redoc_url=None)
    methods = [m for service in services for m in service.methods]
    # Literal segments first: `/v1/workflows/node-templates` must not be swallowed by
    # `/v1/workflows/{workflow_id}` (a bug the original migration shipped).
    for method in sorted(methods, key=lambda m: route_order(m.http.path)):
        streaming = isinstance(method, ServerStreamMethod)
        app.router.add_api_route(
            method.http.path,
            _route_endpoint(method, dispatcher, max_request_bytes, sse_keepalive_seconds),
            methods=[method.http.method],
            status_code=method.http.status,
            response_model=None if streaming else method.response_model,
            name=f"{method.service}.{method.name}",
            operation_id=method.name,
            tags=[method.service.rsplit(".", 1)[-1]],
            summary=f"{method.name} (gRPC {method.grpc_path}{' stream' if streaming else ''})",
            route_class_override=_DirectRoute,
        )

    check_routes_reachable(app, methods)

    @app.get("/health", tags=["ops"], summary="Readiness: own state and dependencies")
    async def health_route() -> Response:
        report = await health.evaluate()
        return Response(
            json.dumps(report.as_json()), status_code=200 if report.serving else 503,
            media_type=JSON,
        )  # fmt: skip

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics")
    async def metrics_route() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    install_error_handlers(app)

    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_credentials=True,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=["authorization", "content-type", REQUEST_ID, "idempotency-key"],
        )

    install_openapi(app, methods)
    return app


def install_openapi(app: FastAPI, methods: Sequence[ServedMethod]) -> None:
    """Document ``methods``' routes from their models (path and query parameters, the
    JSON body, the error envelope, SSE for streams); FastAPI sees none of it, because
    the endpoints read the request themselves."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _openapi(app, methods)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


class _DirectRoute(APIRoute):
    """An APIRoute (so it is documented) whose endpoint takes the Request and returns the
    Response itself: FastAPI's per-request dependency solving is skipped, because the
    bridge decodes and validates the request on its own (the same way as on gRPC)."""

    def get_route_handler(self):  # type: ignore[no-untyped-def]
        return self.endpoint


def install_error_handlers(app: FastAPI) -> None:
    """Routing errors (unknown path, wrong method) in the same envelope as handler errors."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = HTTP_TO_CODE.get(exc.status_code, Code.UNKNOWN)
        if exc.status_code == 405:
            code = Code.UNIMPLEMENTED
        error = error_for(code, str(exc.detail))
        return error_response(error, request.headers.get(REQUEST_ID), status=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return error_response(InvalidArgument(str(exc)), request.headers.get(REQUEST_ID))


def route_order(path: str) -> tuple[tuple[int, str], ...]:
    return tuple((1, "") if seg.startswith("{") else (0, seg) for seg in path.split("/"))


def check_routes_reachable(app: FastAPI, methods: Sequence[ServedMethod]) -> None:
    """Fail start-up if a request to any declared route would be served by another one."""
    problems = []
    for method in methods:
        sample = method.http.path
        for name in method.http.path_params:
            sample = sample.replace("{" + name + "}", "sample-value")
        scope = {"type": "http", "path": sample, "method": method.http.method}
        winner = next((r for r in app.router.routes if r.matches(scope)[0] is Match.FULL), None)
        if getattr(winner, "name", None) != f"{method.service}.{method.name}":
            problems.append(
                f"{method.http.method} {method.http.path} ({method.name}) is shadowed by "
                f"{getattr(winner, 'path', None)!r}"
            )
    if problems:
        raise ValueError("unreachable routes: " + "; ".join(problems))


def error_response(
    error: BridgeError, request_id: str | None, *, status: int | None = None
) -> Response:
    headers = {REQUEST_ID: request_id} if request_id else None
    return Response(
        json.dumps(error.to_http_body()),
        status_code=status or error.http_status,
        media_type=JSON,
        headers=headers,
    )


@dataclass(frozen=True, slots=True)
class RequestFields:
    """Where each request field comes from on HTTP (path, query string, JSON body), and
    the one way to read them into a dict for the request model: used by the bridge's own
    routes and by apps beside it (the gateway), so both read requests alike."""

    path_params: tuple[str, ...]
    query_fields: frozenset[str]
    list_fields: frozenset[str]
    """Query fields that repeat (``?tags=a&tags=b``)."""
    body_fields: frozenset[str]
    has_body: bool

    @classmethod
    def of(
        cls,
        model: type[BaseModel],
        *,
        path_params: Iterable[str],
        query_fields: Iterable[str],
        body_fields: Iterable[str],
        has_body: bool,
    ) -> RequestFields:
        query = frozenset(query_fields)
        lists = frozenset(f for f in query if _is_list(model.model_fields[f].annotation))
        return cls(tuple(path_params), query, lists, frozenset(body_fields), has_body)

    async def read(
        self, request: Request, limit: int, refuse: Callable[[str], str | None]
    ) -> dict[str, Any]:
        """The fields of ``request``; a body key outside ``body_fields`` is refused with
        the reason ``refuse`` gives (None lets the model judge it)."""
        data: dict[str, Any] = {}
        if self.has_body:
            data = await read_json_body(request, limit)
            refused = [(f, refuse(f)) for f in sorted(set(data) - self.body_fields)]
            violations = [_violation(f, reason) for f, reason in refused if reason is not None]
            if violations:
                raise InvalidArgument.from_violations(violations)
        for name in self.path_params:
            data[name] = request.path_params[name]
        unknown = sorted(set(request.query_params) - self.query_fields)
        if unknown:
            raise InvalidArgument.from_violations(
                [_violation(f, "unknown query parameter") for f in unknown]
            )
        for name in self.query_fields:
            values = request.query_params.getlist(name)
            if values:
                data[name] = values if name in self.list_fields else values[-1]
        return data


def _route_endpoint(
    method: ServedMethod, dispatcher: Dispatcher, limit: int, keepalive: float
) -> Callable[[Request], Awaitable[Response]]:
    if isinstance(method, ServerStreamMethod):
        return _stream_endpoint(method, dispatcher, limit, keepalive)  # type: ignore[no-any-return]
    assert isinstance(method, UnaryMethod)
    return _endpoint(method, dispatcher, limit)  # type: ignore[no-any-return]


def _endpoint(method: UnaryMethod, dispatcher: Dispatcher, limit: int):  # type: ignore[no-untyped-def]
    read = _reader(method, limit)

    async def endpoint(request: Request) -> Response:
        headers, ctx = _call_context(method, request)

        async def decode() -> BaseModel:
            return await read(request)

        def encode(response: BaseModel) -> bytes:
            return response.__pydantic_serializer__.to_json(response)

        try:
            body = await dispatcher.call(method, ctx, headers.get(AUTHORIZATION), decode, encode)
        except BridgeError as exc:
            return error_response(exc, ctx.request_id)
        return Response(
            body,
            status_code=method.http.status,
            media_type=JSON,
            headers={REQUEST_ID: ctx.request_id},
        )

    endpoint.__name__ = method.name
    return endpoint


def _stream_endpoint(  # type: ignore[no-untyped-def]
    method: ServerStreamMethod, dispatcher: Dispatcher, limit: int, keepalive: float
):
    read = _reader(method, limit)

    async def endpoint(request: Request) -> Response:
        headers, ctx = _call_context(method, request)

        async def decode() -> BaseModel:
            return await read(request)

        try:
            stream = await dispatcher.stream(
                method, ctx, headers.get(AUTHORIZATION), decode, method.sse_event
            )
        except BridgeError as exc:  # before the first message: an ordinary error response
            return error_response(exc, ctx.request_id)
        return EventStreamResponse(
            _events(stream),
            status_code=method.http.status,
            request_id=ctx.request_id,
            keepalive=keepalive,
        )

    endpoint.__name__ = method.name
    return endpoint


async def _events(stream: MessageStream[tuple[str, bytes]]) -> AsyncGenerator[bytes, None]:
    """The SSE events of a stream: its messages, then ``end`` or ``error``."""
    sent = 0
    async with aclosing(stream):
        try:
            async for name, data in stream:
                yield sse.encode_event(name, data, id=sent)
                sent += 1
                # Once the client is gone uvicorn's send returns at once; without a
                # checkpoint a handler that never waits would run to its end unnoticed.
                await anyio.lowlevel.checkpoint()
        except BridgeError as exc:  # after the first message: the error as the last event
            yield sse.error_event(exc.to_http_body())
            return
        yield sse.end_event(sent)


class EventStreamResponse(StreamingResponse):
    """``text/event-stream`` whose event generator is closed however the response ends
    (client gone, server stopping): Starlette cancels its send loop on a disconnect but
    leaves a generator suspended at ``yield`` to the garbage collector. After
    ``keepalive`` seconds without an event it writes a comment, so idle timeouts of
    proxies and load balancers do not cut a stream that is only slow."""

    media_type = sse.MEDIA_TYPE

    def __init__(
        self,
        events: AsyncGenerator[bytes, None],
        *,
        status_code: int,
        request_id: str,
        keepalive: float = 0.0,
    ) -> None:
        super().__init__(
            events,
            status_code=status_code,
            headers={
                REQUEST_ID: request_id,
                "cache-control": "no-cache",
                "x-accel-buffering": "no",  # proxies (nginx) must not buffer the stream
            },
        )
        self._events = events
        self._keepalive = keepalive

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._events.aclose()

    async def stream_response(self, send: Send) -> None:
        if not self._keepalive:
            await super().stream_response(send)
            return
        loop = asyncio.get_running_loop()
        lock = asyncio.Lock()  # one writer at a time: the events, or the keep-alive
        last = loop.time()

        async def write(chunk: bytes, *, idle_only: bool = False) -> None:
            nonlocal last
            async with lock:
                if idle_only and loop.time() - last < self._keepalive:
                    return  # an event went out while this waited for the lock
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                last = loop.time()

        async def keep_alive() -> None:
            while True:
                await asyncio.sleep(last + self._keepalive - loop.time())
                if loop.time() - last >= self._keepalive:
                    await write(sse.KEEPALIVE, idle_only=True)

        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        # A task of its own (the events keep running in this one: the handler's context
        # and deadline stay where they were); it waits its turn behind a blocked write,
        # so a slow client still holds everything back.
        pinger = asyncio.create_task(keep_alive())
        try:
            async for chunk in self.body_iterator:
                await write(chunk)  # type: ignore[arg-type]  # _events yields bytes
        finally:
            pinger.cancel()
        await asyncio.gather(pinger, return_exceptions=True)
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _call_context(method: ServedMethod, request: Request) -> tuple[dict[str, str], CallContext]:
    # One pass over the raw headers (Starlette's Headers.get scans the list each time).
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in request.scope["headers"]}
    ctx = build_context(
        protocol="http",
        service=method.service,
        method=method.name,
        headers=headers,
        timeout=http_timeout(headers),
    )
    return headers, ctx


def _reader(method: ServedMethod, limit: int) -> Callable[[Request], Awaitable[BaseModel]]:
    """Request -> validated request model, for one method."""
    model = method.request_model
    fields = RequestFields.of(
        model,
        path_params=method.http.path_params,
        query_fields=method.query_fields,
        body_fields=method.body_fields,
        has_body=method.http.has_body,
    )

    def in_url(field: str) -> str | None:
        return "belongs in the URL, not the body" if field in model.model_fields else None

    async def read(request: Request) -> BaseModel:
        data = await fields.read(request, limit, in_url)
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise InvalidArgument.from_violations(violations_from_validation_error(exc)) from None

    return read


async def read_json_body(request: Request, limit: int) -> dict[str, Any]:
    """The request's JSON object body, bounded by ``limit`` bytes (413 past it)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return {}
    try:
        data = from_json(raw)
    except ValueError as exc:
        raise InvalidArgument.from_violations(
            [_violation("", f"body is not valid JSON: {exc}")]
        ) from None
    if not isinstance(data, dict):
        raise InvalidArgument.from_violations([_violation("", "body must be a JSON object")])
    return data


def _too_large(limit: int) -> ResourceExhausted:
    # RESOURCE_EXHAUSTED like gRPC's max message size, but 413 on HTTP (DESIGN's exception).
    return ResourceExhausted(f"request larger than {limit} bytes", http_status=413)


def _violation(field: str, description: str) -> FieldViolation:
    return FieldViolation(field, description)


def _is_list(annotation: Any) -> bool:
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin is list:
        return True
    return any(_is_list(a) for a in args)


# -- OpenAPI ---------------------------------------------------------------------------


def _openapi(app: FastAPI, methods: Sequence[ServedMethod]) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title,
        version=app.version,
        routes=app.routes,
        description="Every operation is also served over gRPC (see each summary); "
        'errors use the envelope `{"error": {"code", "message", "details"}}`.',
    )
    extra: dict[ServedMethod, tuple[type[BaseModel] | None, type[BaseModel] | None]] = {}
    for method in methods:
        extra[method] = (_body_model(method), _params_model(method))
    models = [m for pair in extra.values() for m in pair if m is not None]
    streamed = {m.response_model for m in methods if isinstance(m, ServerStreamMethod)}
    _, defs = models_json_schema(
        [*((m, "validation") for m in models), *((m, "serialization") for m in streamed)],
        ref_template="#/components/schemas/{model}",
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in defs.get("$defs", {}).items():
        components.setdefault(name, definition)
    components["ErrorEnvelope"] = _ERROR_SCHEMA
    for method, (body, params) in extra.items():
        operation = schema["paths"][method.http.path][method.http.method.lower()]
        if params is not None:
            props = defs["$defs"][params.__name__]["properties"]
            operation["parameters"] = [
                {
                    "name": name,
                    "in": "path" if name in method.http.path_params else "query",
                    "required": name in method.http.path_params
                    or params.model_fields[name].is_required(),
                    "schema": props[name],
                }
                for name in params.model_fields
            ]
        if body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{body.__name__}"}}},
            }
        error = {
            "description": "Error",
            "content": {JSON: {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}},
        }
        operation["responses"].pop("422", None)
        operation["responses"]["default"] = error
        if isinstance(method, ServerStreamMethod):
            operation["responses"][str(method.http.status)] = _stream_response(method)
    return schema


def _stream_response(method: ServerStreamMethod) -> dict[str, Any]:
    """``text/event-stream`` with one event schema per event type (``itemSchema`` as
    OpenAPI 3.2 and FastAPI's own SSE routes write it)."""

    def event(name: Any, data: dict[str, Any], *, with_id: bool) -> dict[str, Any]:
        properties: dict[str, Any] = {
            "event": name,
            "data": {"type": "string", "contentMediaType": JSON, "contentSchema": data},
        }
        if with_id:
            properties["id"] = {"type": "string", "description": "0, 1, 2... in the stream"}
        return {"type": "object", "required": list(properties), "properties": properties}

    names = method.event_names()
    name_schema = {"type": "string"} if names is None else {"type": "string", "enum": list(names)}
    ref = {"$ref": f"#/components/schemas/{method.response_model.__name__}"}
    end = {
        "type": "object",
        "required": ["messages"],
        "properties": {"messages": {"type": "integer", "minimum": 0}},
    }
    return {
        "description": "A stream of server-sent events: one per message (`event:` is the "
        "message's `kind`, lower-cased), then `end` (clean end) or `error` (the error "
        "envelope, for a failure after the first message). A failure before the first "
        "message is an ordinary JSON error response instead.",
        "content": {
            sse.MEDIA_TYPE: {
                "itemSchema": {
                    "oneOf": [
                        event(name_schema, ref, with_id=True),
                        event(
                            {"const": sse.ERROR},
                            {"$ref": "#/components/schemas/ErrorEnvelope"},
                            with_id=False,
                        ),
                        event({"const": sse.END}, end, with_id=False),
                    ]
                }
            }
        },
    }


def _body_model(method: ServedMethod) -> type[BaseModel] | None:
    if not method.http.has_body:
        return None
    model = method.request_model
    if set(method.body_fields) == set(model.model_fields):
        return model
    fields: dict[str, Any] = {
        n: (model.model_fields[n].annotation, model.model_fields[n]) for n in method.body_fields
    }
    return create_model(f"{model.__name__}Body", **fields)


def _params_model(method: ServedMethod) -> type[BaseModel] | None:
    names = [*method.http.path_params, *method.query_fields]
    if not names:
        return None
    model = method.request_model
    fields: dict[str, Any] = {
        n: (model.model_fields[n].annotation, model.model_fields[n]) for n in names
    }
    return create_model(f"{model.__name__}Params", **fields)


_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "enum": [c.name for c in Code if c is not Code.OK]},
                "message": {"type": "string"},
                "details": {"type": "array", "items": {"type": "object"}},
            },
        }
    },
}
