"""The public API: users call /api/app/...; the gateway calls the services per flag.

Every engine RPC gets a public route (``/v1/workflows/...`` -> ``/api/app/workflows/...``)
derived from the contract's route table; the user id comes from the bearer token and is
never accepted from the caller. Calls go through RoutedTransport (flag per call, read
shadows, safe fall-over) with the RollbackGuard watching HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, cast

import grpc
import httpx
import uvicorn
from fastapi import FastAPI, Request, Response
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from pydantic import BaseModel, ValidationError

from bridge.converter import violations_from_validation_error
from bridge.dispatch import MessageStream
from bridge.errors import BridgeError, InvalidArgument
from bridge.service import HttpRoute, ServedMethod, ServerStreamMethod, UnaryMethod
from bridge.web import (
    EventStreamResponse,
    RequestFields,
    error_response,
    install_error_handlers,
    install_openapi,
    read_json_body,
    sse_events,
)
from contract.binding import converter
from contract.models import FireWebhookRequest
from feature_flags import Decider, open_store
from feature_flags import Transport as Protocol
from gateway import cutover_page
from gateway.auth import require_admin, user_from_token
from gateway.capture import open_recorder
from gateway.clients import (
    AgentClient,
    CallOptions,
    ConversationClient,
    GrpcTransport,
    HttpTransport,
    Method,
    MountedTransport,
    TriggerClient,
    WorkflowClient,
)
from gateway.clients._base import methods_of
from gateway.clients._client import ServiceClient
from gateway.mcp import McpApi
from gateway.rollback import RollbackGuard, Thresholds
from gateway.routing import RoutedTransport
from gateway.settings import GatewaySettings

MAX_BODY = 4 * 1024 * 1024
PUBLIC_ONLY = frozenset({"FireWebhook"})
"""RPCs reached only through the public (token-less) webhook entry."""
ENGINE_PACKAGE = "contract.engine.v1"
AGENT_PACKAGE = "contract.agent.v1"
PUBLIC_CLIENTS: tuple[type[ServiceClient], ...] = (
    WorkflowClient,
    TriggerClient,
    AgentClient,
    ConversationClient,
)
PUBLIC_PREFIX = {ENGINE_PACKAGE: "/api/app", AGENT_PACKAGE: "/api/app/agent"}
"""Where each service's RPCs appear: ``/v1/workflows/generate`` on the agent is
``/api/app/agent/workflows/generate`` here, ``/v1/workflows`` on the engine
``/api/app/workflows``."""


def backend_addresses(settings: GatewaySettings) -> dict[str, tuple[str, tuple[str, str]]]:
    """Flag name -> (proto package, (HTTP base URL, gRPC host:port)) of each backend."""
    return {
        "workflow_engine": (
            ENGINE_PACKAGE,
            (settings.workflow_engine_url, settings.workflow_engine_grpc),
        ),
        "workflow_agent": (
            AGENT_PACKAGE,
            (settings.workflow_agent_url, settings.workflow_agent_grpc),
        ),
    }


class Gateway:
    """The gateway's moving parts, created in the app's lifespan."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.flags = open_store(settings.flags_store)
        token = settings.service_token.get_secret_value() if settings.service_token else None
        # One transport per service and protocol; each protocol's are mounted by proto
        # package, so the router sees one transport per protocol.
        addresses = backend_addresses(settings)
        self.grpc = MountedTransport("grpc", {
            package: GrpcTransport(target, service_token=token)
            for package, (_, target) in addresses.values()
        })  # fmt: skip
        self.http = MountedTransport("http", {
            package: HttpTransport(url, service_token=token)
            for package, (url, _) in addresses.values()
        })  # fmt: skip
        self.guard = RollbackGuard(
            self.flags,
            Thresholds(
                error_rate=settings.rollback_error_rate,
                min_calls=settings.rollback_min_calls,
                window_seconds=settings.rollback_window_seconds,
                p99_ratio=settings.rollback_p99_ratio,
            ),
        )
        self.capture = open_recorder(settings.capture_path, settings.capture_sample_rate)
        self.router = RoutedTransport(
            Decider(self.flags.current), {Protocol.GRPC: self.grpc, Protocol.HTTP: self.http},
            guard=self.guard, capture=self.capture,
        )  # fmt: skip
        self.clients: list[ServiceClient] = [
            client_type(self.router) for client_type in PUBLIC_CLIENTS
        ]
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "gateway_requests", "Public API calls.", ("route", "code"), registry=self.registry
        )

    async def start(self) -> None:
        await self.flags.start()

    async def close(self) -> None:
        await self.router.aclose()
        if self.capture is not None:
            await self.capture.aclose()
        await self.flags.close()

    def cutover(self) -> dict[str, Any]:
        stats = self.router.stats
        windows = {
            f"{service}/{protocol.value}": {
                "calls": len(window.calls),
                "error_rate": round(window.error_rate(), 4),
                "p99_ms": round(window.p99() * 1000, 3),
            }
            for (service, protocol), window in self.guard.windows.items()
        }
        return {
            "flags": self.flags.current().describe(),
            "calls": [
                {"method": method, "protocol": protocol, "count": count}
                for (method, protocol), count in sorted(stats.calls.items())
            ],
            "fallbacks": dict(stats.fallbacks),
            "shadow": {
                "matches": stats.shadow_matches,
                "mismatches": stats.shadow_mismatches,
                "errors": stats.shadow_errors,
                "recent": [{"method": x.method, "paths": x.paths} for x in stats.recent_mismatches],
            },
            "windows": windows,
            "rollbacks": [
                {"when": r.when, "service": r.service, "reason": r.reason}
                for r in self.guard.history
            ],
        }


def public_path(method: Method) -> str:
    package = method.service.rsplit(".", 1)[0]
    return PUBLIC_PREFIX[package] + method.http.path.removeprefix("/v1")


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    mcp_api = McpApi(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gateway = Gateway(settings)
        await gateway.start()
        app.state.gateway = gateway
        try:
            async with mcp_api.serve(gateway):
                yield
        finally:
            await gateway.close()

    app = FastAPI(title="gateway", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    install_error_handlers(app)
    documented: list[ServedMethod] = []
    for client_type in PUBLIC_CLIENTS:
        for method in methods_of(client_type.descriptor).values():
            if method.name not in PUBLIC_ONLY:
                documented.append(_add_route(app, client_type, method))
    install_openapi(app, documented)
    # The MCP API (gateway/mcp.py): bearer auth, then the SDK's streamable HTTP app.
    app.router.routes.append(mcp_api.route)

    @app.post("/api/public/webhooks/{trigger_id}", status_code=202, tags=["public"])
    async def webhook(trigger_id: str, request: Request) -> Response:
        """A webhook call from outside: no user token; the trigger id is the secret."""
        gateway: Gateway = request.app.state.gateway
        code = "OK"
        try:
            payload = await read_json_body(request, MAX_BODY)
            try:
                call = FireWebhookRequest(trigger_id=trigger_id, payload=payload)
            except ValidationError as exc:
                raise InvalidArgument.from_violations(
                    violations_from_validation_error(exc)
                ) from None
            client = next(c for c in gateway.clients if isinstance(c, TriggerClient))
            options = CallOptions(
                request_id=request.headers.get("x-request-id"),
                idempotency_key=request.headers.get("idempotency-key"),
                timeout=gateway.settings.call_timeout_seconds,
            )
            result = await client.fire_webhook(call, options)
        except BridgeError as exc:
            code = exc.code.name
            return error_response(exc, request.headers.get("x-request-id"))
        finally:
            gateway.requests.labels("/api/public/webhooks/{trigger_id}", code).inc()
        return Response(result.model_dump_json(), status_code=202, media_type="application/json")

    @app.get("/health", tags=["ops"])
    async def health(request: Request) -> Response:
        """The gateway and each backend on the protocol its flag uses now: SERVING when
        all serve, DEGRADED (still 200: the other backend's routes work) when some do,
        NOT_SERVING (503) when none does."""
        gateway: Gateway = request.app.state.gateway
        decider = Decider(gateway.flags.current)
        addresses = backend_addresses(gateway.settings)
        protocols = {name: decider.decide(name, "health", None).transport for name in addresses}
        states = await asyncio.gather(
            *(_backend_health(addresses[name][1], p) for name, p in protocols.items())
        )
        checks = {f"{name} ({protocols[name].value})": state
                  for name, state in zip(protocols, states, strict=True)}  # fmt: skip
        serving = sum(state == "SERVING" for state in states)
        status = "SERVING" if serving == len(states) else "DEGRADED" if serving else "NOT_SERVING"
        return Response(
            json.dumps({"status": status, "checks": checks}),
            status_code=503 if status == "NOT_SERVING" else 200,
            media_type="application/json",
        )

    @app.get("/metrics", tags=["ops"])
    async def metrics(request: Request) -> Response:
        return Response(
            generate_latest(request.app.state.gateway.registry), media_type=CONTENT_TYPE_LATEST
        )

    @app.get("/admin/cutover", tags=["ops"])
    async def cutover(request: Request) -> Response:
        """The report as JSON, or as a page when a browser asks for HTML."""
        wants_html = "text/html" in request.headers.get("accept", "")
        try:
            require_admin(settings, request.headers.get("authorization"))
        except BridgeError as exc:
            response = error_response(exc, None)
            if wants_html and exc.http_status == 401:
                response.headers["www-authenticate"] = 'Basic realm="cutover"'
            return response
        report = request.app.state.gateway.cutover()
        if wants_html:
            return Response(cutover_page.render(report), media_type="text/html")
        return Response(json.dumps(report), media_type="application/json")

    return app


async def _backend_health(address: tuple[str, str], protocol: Protocol) -> str:
    url, target = address
    try:
        if protocol is Protocol.HTTP:
            async with httpx.AsyncClient(timeout=2) as client:
                reply = await client.get(url + "/health")
            return str(reply.json().get("status", "UNKNOWN"))
        async with grpc.aio.insecure_channel(target) as channel:
            status = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=2
            )
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(status.status))
    except (httpx.HTTPError, grpc.aio.AioRpcError, ValueError) as exc:
        return f"unreachable: {type(exc).__name__}"


def _add_route(app: FastAPI, client_type: type[ServiceClient], method: Method) -> ServedMethod:
    """Add the public route of one RPC; returns it as the bridge documents routes."""
    name = method.name
    route = method.http
    model = method.request_model
    path_params = set(route.path_params)
    # Engine requests carry the user as a field; every call carries it in the context.
    takes_user = "user_id" in model.model_fields
    fields = set(model.model_fields) - {"user_id"}
    query_fields = (fields - path_params) if not route.has_body else set(route.query)
    body_fields = (fields - path_params - query_fields) if route.has_body else set()
    reader = RequestFields.of(
        model,
        path_params=route.path_params,
        query_fields=query_fields,
        body_fields=body_fields,
        has_body=route.has_body,
    )
    path = public_path(method)

    async def endpoint(request: Request) -> Response:
        gateway: Gateway = request.app.state.gateway
        code = "OK"
        try:
            user = user_from_token(gateway.settings, request.headers.get("authorization"))
            data = await reader.read(request, MAX_BODY, _why_refused)
            if takes_user:
                data["user_id"] = user
            try:
                call_request = model.model_validate(data)
            except ValidationError as exc:
                raise InvalidArgument.from_violations(
                    violations_from_validation_error(exc)
                ) from None
            client = next(c for c in gateway.clients if isinstance(c, client_type))
            options = CallOptions(
                user_id=user,
                request_id=request.headers.get("x-request-id"),
                idempotency_key=request.headers.get("idempotency-key"),
                timeout=gateway.settings.call_timeout_seconds,
            )
            if method.server_streaming:
                return await _open_stream(client, method, call_request, options)
            result = await client._call(name, call_request, options, method.response_model)
        except BridgeError as exc:
            code = exc.code.name
            return error_response(exc, request.headers.get("x-request-id"))
        finally:
            gateway.requests.labels(path, code).inc()
        return Response(
            result.__pydantic_serializer__.to_json(result), status_code=route.status,
            media_type="application/json",
        )  # fmt: skip

    endpoint.__name__ = f"public_{name}"
    app.add_api_route(
        path,
        endpoint,
        methods=[route.method],
        name=name,
        tags=[client_type.__name__],
        response_model=method.response_model,
        status_code=route.status,
    )
    kind = ServerStreamMethod if method.server_streaming else UnaryMethod
    return kind(
        service=method.service, name=name, request_model=model,
        response_model=method.response_model, request_message=method.request_message,
        response_message=method.response_message, server_streaming=method.server_streaming,
        http=HttpRoute(method=route.method, path=path, status=route.status,
                       query=tuple(sorted(query_fields)) if route.has_body else ()),
        # Read for documentation only: the route serves through the endpoint above.
        handler=cast(Any, endpoint), converter=converter(),
        query_fields=tuple(sorted(query_fields)), body_fields=tuple(sorted(body_fields)),
    )  # fmt: skip


async def _open_stream(
    client: ServiceClient, method: Method, request: BaseModel, options: CallOptions
) -> Response:
    """A server stream re-served as SSE. The first message is awaited here, so a failure
    before it is an ordinary error response; after it, the stream's ``error`` event."""
    events = client._stream(method.name, request, options, method.response_model)
    try:
        first = await anext(events)
    except StopAsyncIteration:
        first = None
    except BaseException:
        await events.aclose()
        raise

    async def encoded() -> AsyncGenerator[tuple[str, bytes], None]:
        async with contextlib.aclosing(events):
            async for message in events:
                yield method.sse_event(message)

    head = () if first is None else (method.sse_event(first),)
    stream = MessageStream(encoded(), *head)
    return EventStreamResponse(
        sse_events(stream), status_code=method.http.status,
        request_id=options.request_id or "",
    )  # fmt: skip


def _why_refused(field: str) -> str:
    # The user comes from the token; a caller never chooses it.
    return (
        "not accepted: the user comes from the bearer token"
        if field == "user_id"
        else "unknown field"
    )


class GatewayServer:
    """``bridgectl serve gateway``: uvicorn on the gateway's port, SIGTERM drains."""

    def __init__(self, settings: GatewaySettings | None = None) -> None:
        self.settings = settings or GatewaySettings()

    async def run(self) -> None:
        config = uvicorn.Config(
            create_app(self.settings), host=self.settings.host, port=self.settings.port,
            log_config=None, access_log=False, timeout_graceful_shutdown=10,
        )  # fmt: skip
        await uvicorn.Server(config).serve()


def build_server() -> GatewayServer:
    """Entry point of ``bridgectl serve gateway`` (settings from the environment)."""
    return GatewayServer(GatewaySettings())
