"""The gateway's MCP API: ``/api/mcp`` (streamable HTTP) on the official ``mcp`` SDK.

An MCP client (Claude Desktop, the MCP inspector, an agent) gets six tools that go the
same way as the public API: generate and validate a workflow with the agent, create,
list and execute workflows and read executions on the engine, through the gateway's
typed clients, so the TRANSPORT flag, shadows and fall-over apply to them too.

- **Who is calling**: every HTTP request to ``/api/mcp`` carries ``Authorization: Bearer
  <token>`` (a user JWT or an API key, as for ``/api/app``); ``user_from_token`` turns it
  into the user id *before* the SDK sees the request, and a request without a valid token
  gets 401 with the gateway's error body, so no tool runs. The user id rides the request's
  ASGI state to the tool (the SDK hands each tool the HTTP request it came on) and goes
  into the engine requests' ``user_id`` and every call's ``CallOptions``.
- **Stateless, JSON responses**: each POST is answered on its own (no MCP session kept in
  memory), so any gateway replica can serve any request and no sticky routing is needed.
- **Errors**: a service error (BridgeError) and a bad tool argument become an MCP tool
  error (``isError``) whose text is the gateway's error body ``{"error": {"code",
  "message", "details"}}``: the same code, message and field violations as over HTTP.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import CallToolResult, InputRequiredResult, TextContent, ToolAnnotations
from prometheus_client import Counter
from pydantic import BaseModel, Field, ValidationError
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from bridge.converter import FieldViolation, violations_from_validation_error
from bridge.errors import (
    BridgeError,
    InvalidArgument,
    Unauthenticated,
    Unavailable,
    Unimplemented,
)
from bridge.web import error_response
from contract import models as m
from contract.models._base import Identifier, Limit, Offset
from contract.models.engine import DEFAULT_LIMIT
from gateway.auth import user_from_token
from gateway.clients import AgentClient, CallOptions, WorkflowClient
from gateway.settings import GatewaySettings

if TYPE_CHECKING:
    from gateway.app import Gateway

MCP_PATH = "/api/mcp"
SERVER_NAME = "flowbridge"
USER_STATE = "mcp_user_id"
"""Key of the authenticated user id in the request's ASGI ``state``."""
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

log = logging.getLogger(__name__)
R = TypeVar("R", bound=BaseModel)

INSTRUCTIONS = """\
Workflows of the flowbridge workflow engine. A typical session: generate_workflow from a
plain-language description; optionally validate_workflow; create_workflow with the
`workflow` object generate_workflow returned; execute_workflow with the created workflow's
id; then get_execution with the execution id until its status is no longer NEW or RUNNING
(SUCCESS, ERROR, CANCELED or TIMED_OUT). Errors come back as {"error": {"code", "message",
"details"}}: INVALID_ARGUMENT names each bad field in details, NOT_FOUND means the record
does not exist for this user."""


@dataclass(frozen=True, slots=True)
class Services:
    """What the tools call: the gateway's clients (over its RoutedTransport) and limits."""

    workflows: WorkflowClient
    agent: AgentClient
    timeout: float
    requests: Counter | None = None
    """The gateway's ``gateway_requests`` counter (route ``mcp:<tool>``), when it has one."""

    @classmethod
    def of(cls, gateway: Gateway) -> Services:
        return cls(
            workflows=next(c for c in gateway.clients if isinstance(c, WorkflowClient)),
            agent=next(c for c in gateway.clients if isinstance(c, AgentClient)),
            timeout=gateway.settings.call_timeout_seconds,
            requests=gateway.requests,
        )


ToolContext = Context[Services, Request]


def _caller(ctx: ToolContext) -> tuple[Services, str, CallOptions]:
    """The services, the authenticated user and the call options for this tool call."""
    request = ctx.request_context.request
    user = None if request is None else request.scope.get("state", {}).get(USER_STATE)
    if not isinstance(user, str):
        # Only reachable if the server is used without McpApi's authentication in front.
        raise Unauthenticated("missing bearer token")
    assert request is not None
    services = ctx.request_context.lifespan_context
    options = CallOptions(
        user_id=user, request_id=request.headers.get("x-request-id"), timeout=services.timeout
    )
    return services, user, options


def _request(model: type[R], prefix: str = "", /, **data: Any) -> R:
    """A contract request from tool arguments; bad ones are INVALID_ARGUMENT naming the
    argument (``prefix`` puts a request field under the tool argument it came from)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        violations = violations_from_validation_error(exc)
        if prefix:
            violations = [
                FieldViolation(f"{prefix}.{v.field}" if v.field else prefix, v.description)
                for v in violations
            ]
        raise InvalidArgument.from_violations(violations) from None


# -- the tools ------------------------------------------------------------------------


async def generate_workflow(
    description: Annotated[
        str, Field(description="What the workflow should do, in plain language.")
    ],
    ctx: ToolContext,
    context: Annotated[
        dict[str, str] | None,
        Field(description="Extra facts for the generator (e.g. a URL or an API name)."),
    ] = None,
) -> m.GenerateWorkflowResponse:
    """Generate a workflow from a description with the workflow agent. The result's
    `workflow` is ready for create_workflow; `missing_info` lists what the description
    left open. Nothing is stored."""
    services, _, options = _caller(ctx)
    request = _request(m.GenerateWorkflowRequest, description=description, context=context or {})
    return await services.agent.generate_workflow(request, options)


async def validate_workflow(
    workflow: Annotated[
        dict[str, Any],
        Field(description="A workflow as JSON (name, nodes, connections...), valid or not."),
    ],
    ctx: ToolContext,
) -> m.ValidateWorkflowResponse:
    """Check a workflow with the agent's validator: `valid`, plus `errors` and `warnings`
    in words. Nothing is stored."""
    services, _, options = _caller(ctx)
    request = _request(m.ValidateWorkflowRequest, workflow_data=workflow)
    return await services.agent.validate_workflow(request, options)


CREATE_FIELDS = frozenset(m.CreateWorkflowRequest.model_fields) - {"user_id"}
"""What create_workflow takes from a workflow; id, timestamps and version are the engine's."""


async def create_workflow(
    workflow: Annotated[
        m.Workflow,
        Field(description="The workflow to store, e.g. the `workflow` generate_workflow returned."),
    ],
    ctx: ToolContext,
) -> m.CreateWorkflowResponse:
    """Store a workflow for the calling user. Returns it with the id the engine gave it
    (use that id with execute_workflow)."""
    services, user, options = _caller(ctx)
    fields = workflow.model_dump(include=set(CREATE_FIELDS), exclude_unset=False)
    request = _request(m.CreateWorkflowRequest, "workflow", user_id=user, **fields)
    return await services.workflows.create_workflow(request, options)


async def list_workflows(
    ctx: ToolContext,
    limit: Annotated[Limit, Field(description="Page size.")] = DEFAULT_LIMIT,
    offset: Annotated[Offset, Field(description="How many workflows to skip.")] = 0,
) -> m.ListWorkflowsResponse:
    """The calling user's active workflows, newest first, a page at a time
    (`total_count`, `has_more`)."""
    services, user, options = _caller(ctx)
    request = _request(m.ListWorkflowsRequest, user_id=user, limit=limit, offset=offset)
    return await services.workflows.list_workflows(request, options)


async def execute_workflow(
    workflow_id: Annotated[Identifier, Field(description="Id of a workflow of this user.")],
    ctx: ToolContext,
    trigger_data: Annotated[
        dict[str, Any] | None,
        Field(description="Input of the workflow's trigger node (`$json` in expressions)."),
    ] = None,
) -> m.ExecuteWorkflowResponse:
    """Start a run of a workflow. It runs in the background: poll get_execution with the
    returned `execution_id` for its status and per-node results."""
    services, user, options = _caller(ctx)
    request = _request(
        m.ExecuteWorkflowRequest,
        workflow_id=workflow_id,
        user_id=user,
        trigger_data=trigger_data or {},
    )
    return await services.workflows.execute_workflow(request, options)


async def get_execution(
    execution_id: Annotated[Identifier, Field(description="The id execute_workflow returned.")],
    ctx: ToolContext,
) -> m.GetExecutionResponse:
    """An execution: `status` (NEW, RUNNING, SUCCESS, ERROR, CANCELED, TIMED_OUT),
    `run_data` (each node's input, output and error) and the execution's `error`."""
    services, user, options = _caller(ctx)
    request = _request(m.GetExecutionRequest, execution_id=execution_id, user_id=user)
    return await services.workflows.get_execution(request, options)


READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)
TOOLS: tuple[tuple[Any, ToolAnnotations], ...] = (
    (generate_workflow, ToolAnnotations(read_only_hint=True, open_world_hint=True)),
    (validate_workflow, READ),
    (create_workflow, ToolAnnotations(read_only_hint=False, destructive_hint=False,
                                      idempotent_hint=False, open_world_hint=False)),
    (list_workflows, READ),
    (execute_workflow, ToolAnnotations(read_only_hint=False, destructive_hint=False,
                                       idempotent_hint=False, open_world_hint=True)),
    (get_execution, READ),
)  # fmt: skip


# -- the server -----------------------------------------------------------------------


def error_result(error: BridgeError) -> CallToolResult:
    """An MCP tool error carrying the gateway's error body (code, message, details)."""
    return CallToolResult(
        content=[TextContent(type="text", text=json.dumps(error.to_http_body()))], is_error=True
    )


class _Server(MCPServer[Services]):
    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Services, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        code = "OK"
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            error = _as_bridge_error(exc)
            if error is None:
                code = "INTERNAL" if isinstance(exc, UnexpectedToolError) else "INVALID_ARGUMENT"
                raise
            code = error.code.name
            log.info("MCP tool %s failed: %s %s", name, code, error.message)
            return error_result(error)
        finally:
            services = None if context is None else _services(context)
            if services is not None and services.requests is not None:
                services.requests.labels(f"mcp:{name}", code).inc()


def _services(context: Context[Services, Any]) -> Services | None:
    try:
        return context.request_context.lifespan_context
    except ValueError:  # no request context (a direct call outside a request)
        return None


def _as_bridge_error(exc: ToolError) -> BridgeError | None:
    cause = exc.__cause__
    if isinstance(cause, BridgeError):
        return cause
    if isinstance(cause, ValidationError) and not isinstance(exc, UnexpectedToolError):
        # The SDK checked the arguments against the tool's signature and refused them.
        return InvalidArgument.from_violations(violations_from_validation_error(cause))
    return None


@contextlib.contextmanager
def _root_logging_untouched() -> Iterator[None]:
    """MCPServer() calls logging.basicConfig (a Rich handler on the root logger, INFO);
    the gateway's logging is configured by bridgectl (JSON lines), so undo that."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def build_server(services: Services) -> MCPServer[Services]:
    """The MCP server with the six tools; each tool call sees ``services``."""

    @contextlib.asynccontextmanager
    async def lifespan(_: MCPServer[Services]) -> AsyncIterator[Services]:
        yield services

    with _root_logging_untouched():
        server = _Server(
            SERVER_NAME,
            title="flowbridge workflows",
            instructions=INSTRUCTIONS,
            version="0.1.0",
            lifespan=lifespan,
            log_level="WARNING",
        )
    for tool, hints in TOOLS:
        server.add_tool(
            tool,
            description=inspect.cleandoc(tool.__doc__ or ""),
            annotations=hints,
            structured_output=True,
        )
    return server


class McpApi:
    """``/api/mcp`` in the gateway app: bearer authentication in front of the SDK's
    streamable HTTP app.

    The route exists from the start; the MCP server behind it is built each time the app
    starts (``serve``, in the app's lifespan), since the SDK's session manager runs once.
    """

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self._app: ASGIApp | None = None
        self.route = Route(MCP_PATH, endpoint=self, name="mcp", include_in_schema=False)
        """Add it to the app's routes (every method reaches ``__call__``, which answers)."""

    def transport_security(self) -> TransportSecuritySettings:
        """On a loopback listener, the SDK's DNS-rebinding guard (Host and Origin must be
        loopback); behind a load balancer the Host is the public name and the bearer token
        is what guards the route, as for the rest of the public API."""
        if self.settings.host in LOOPBACK:
            return TransportSecuritySettings(
                enable_dns_rebinding_protection=True,
                allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
                allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
            )
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)

    @contextlib.asynccontextmanager
    async def serve(self, gateway: Gateway) -> AsyncIterator[None]:
        server = build_server(Services.of(gateway))
        app = server.streamable_http_app(
            streamable_http_path=MCP_PATH,
            stateless_http=True,
            json_response=True,
            transport_security=self.transport_security(),
        )
        async with server.session_manager.run():
            self._app = app
            try:
                yield
            finally:
                self._app = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            raise RuntimeError(f"{MCP_PATH} serves HTTP only, not {scope['type']}")
        request = Request(scope)
        request_id = request.headers.get("x-request-id")
        try:
            user = user_from_token(self.settings, request.headers.get("authorization"))
        except BridgeError as exc:
            response = error_response(exc, request_id)
            if exc.http_status == 401:
                response.headers["www-authenticate"] = 'Bearer realm="flowbridge"'
            await response(scope, receive, send)
            return
        if scope["method"] != "POST":
            # Stateless: no session to DELETE, and no server-initiated messages, so no
            # standalone SSE stream on GET (it would park a connection per client on every
            # replica and hold up graceful shutdown). The spec's answer is 405.
            refused = error_response(
                Unimplemented(f"{scope['method']} {MCP_PATH}: this server takes POST only"),
                request_id,
                status=405,
            )
            refused.headers["allow"] = "POST"
            await refused(scope, receive, send)
            return
        if self._app is None:
            await error_response(Unavailable("the MCP API is not started"), request_id)(
                scope, receive, send
            )
            return
        # uvicorn gives each request its own copy of the state dict.
        scope["state"] = {**scope.get("state", {}), USER_STATE: user}
        await self._app(scope, receive, send)
