"""One handler, two protocols: the same request gives the same answer and the same error."""

from __future__ import annotations

from typing import Any

import grpc
import httpx
import pytest

from bench.fixtures import load_workflow
from bridge.converter import FieldViolation
from bridge.errors import (
    Aborted,
    AlreadyExists,
    BridgeError,
    Cancelled,
    Code,
    DataLoss,
    DeadlineExceeded,
    ErrorInfo,
    FailedPrecondition,
    Internal,
    InvalidArgument,
    NotFound,
    OutOfRange,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    Unimplemented,
    from_grpc_error,
    from_http,
)
from bridge.server import BridgeServer
from contract import models as m
from contract.binding import converter
from contract.engine.v1 import engine_pb2, engine_pb2_grpc
from tests.integration.bridge.toy import ToyWorkflows

conv = converter()


def create_body(user: str = "u1") -> dict[str, Any]:
    wf = load_workflow(20)
    keep = ("name", "description", "nodes", "connections", "settings", "static_data", "tags")
    return {**{k: wf[k] for k in keep}, "user_id": user}


async def test_create_on_http_read_on_both(
    http: httpx.AsyncClient, stub: engine_pb2_grpc.WorkflowServiceStub
) -> None:
    created = await http.post("/v1/workflows", json=create_body())
    assert created.status_code == 201
    workflow_id = created.json()["workflow"]["id"]

    over_http = await http.get(f"/v1/workflows/{workflow_id}", params={"user_id": "u1"})
    over_grpc = await stub.GetWorkflow(
        engine_pb2.GetWorkflowRequest(workflow_id=workflow_id, user_id="u1")
    )
    from_http_model = m.GetWorkflowResponse.model_validate(over_http.json())
    from_grpc_model = conv.from_proto(over_grpc, m.GetWorkflowResponse)
    assert from_http_model == from_grpc_model
    assert len(from_grpc_model.workflow.nodes) == 20
    # The HTTP JSON is flat: no doubled connections level.
    assert "connections" not in over_http.json()["workflow"]["connections"]


async def test_create_on_grpc_list_on_both(
    http: httpx.AsyncClient, stub: engine_pb2_grpc.WorkflowServiceStub
) -> None:
    request = m.CreateWorkflowRequest.model_validate(create_body("u2"))
    response = await stub.CreateWorkflow(conv.to_proto(request, engine_pb2.CreateWorkflowRequest))
    assert response.workflow.id == "wf_1"
    listed_grpc = conv.from_proto(
        await stub.ListWorkflows(engine_pb2.ListWorkflowsRequest(user_id="u2", tags=["orders"])),
        m.ListWorkflowsResponse,
    )
    listed_http = await http.get("/v1/workflows", params={"user_id": "u2", "tags": ["orders"]})
    assert m.ListWorkflowsResponse.model_validate(listed_http.json()) == listed_grpc
    assert listed_grpc.total_count == 1


async def test_partial_update_means_the_same_on_both(
    http: httpx.AsyncClient, stub: engine_pb2_grpc.WorkflowServiceStub
) -> None:
    await http.post("/v1/workflows", json=create_body())
    await http.post("/v1/workflows", json=create_body())
    # HTTP: only "tags" is sent; gRPC: the same through the StringList wrapper.
    over_http = await http.patch("/v1/workflows/wf_1", json={"user_id": "u1", "tags": []})
    over_grpc = await stub.UpdateWorkflow(
        engine_pb2.UpdateWorkflowRequest(workflow_id="wf_2", user_id="u1", tags={"values": []})
    )
    a = m.UpdateWorkflowResponse.model_validate(over_http.json()).workflow
    b = conv.from_proto(over_grpc, m.UpdateWorkflowResponse).workflow
    assert a.tags == b.tags == []
    assert a.name == b.name == "Order pipeline (20 nodes)"
    assert a.version == b.version == "2"


async def _both_errors(
    http: httpx.AsyncClient,
    stub: engine_pb2_grpc.WorkflowServiceStub,
    http_call: tuple[str, str, dict[str, Any]],
    grpc_request: Any,
    grpc_method: str,
) -> tuple[httpx.Response, BridgeError, BridgeError]:
    verb, url, kwargs = http_call
    response = await http.request(verb, url, **kwargs)
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await getattr(stub, grpc_method)(grpc_request)
    return (
        response,
        from_http(response.status_code, response.json()),
        from_grpc_error(failure.value),
    )


async def test_validation_errors_are_identical(
    http: httpx.AsyncClient, stub: engine_pb2_grpc.WorkflowServiceStub
) -> None:
    body = {"user_id": "u1", "name": "  ", "nodes": [{"id": "a", "name": "A", "type": "WAIT",
                                                        "position": {"x": 0, "y": 0},
                                                        "on_error": "stop"}],
            "connections": {"a": {"main": [{"node": "ghost", "type": "main"}]}}}  # fmt: skip
    request = engine_pb2.CreateWorkflowRequest(
        user_id="u1", name="  ",
        nodes=[{"id": "a", "name": "A", "type": "WAIT", "position": {}, "on_error": 2}],
        connections={"connections": {"a": {"connection_types": {"main": {"connections": [
            {"node": "ghost", "type": "main"}]}}}}},
    )  # fmt: skip
    response, over_http, over_grpc = await _both_errors(
        http, stub, ("POST", "/v1/workflows", {"json": body}), request, "CreateWorkflow"
    )
    assert response.status_code == 400
    assert over_http == over_grpc
    assert isinstance(over_http, InvalidArgument)
    assert over_http.violations == [
        FieldViolation("name", "String should have at least 1 character"),
    ]


async def test_graph_error_is_identical(
    http: httpx.AsyncClient, stub: engine_pb2_grpc.WorkflowServiceStub
) -> None:
    node = {"id": "a", "name": "A", "type": "WAIT", "position": {"x": 0, "y": 0}}
    body = {"user_id": "u1", "name": "w", "nodes": [node],
            "connections": {"a": {"main": [{"node": "ghost", "type": "main"}]}}}  # fmt: skip
    request = conv.to_proto(
        m.CreateWorkflowRequest.model_construct(**{**body, "nodes": [m.Node(**node)],
            "connections": {"a": {"main": [m.Connection(node="ghost", type="main")]}}}),
        engine_pb2.CreateWorkflowRequest,
    )  # fmt: skip
    _, over_http, over_grpc = await _both_errors(
        http, stub, ("POST", "/v1/workflows", {"json": body}), request, "CreateWorkflow"
    )
    assert over_http == over_grpc
    assert "target node 'ghost' does not exist" in over_http.message


async def test_not_found_is_identical(
    http: httpx.AsyncClient, stub: engine_pb2_grpc.WorkflowServiceStub
) -> None:
    response, over_http, over_grpc = await _both_errors(
        http, stub,
        ("GET", "/v1/workflows/missing", {"params": {"user_id": "u1"}}),
        engine_pb2.GetWorkflowRequest(workflow_id="missing", user_id="u1"),
        "GetWorkflow",
    )  # fmt: skip
    assert response.status_code == 404
    assert over_http == over_grpc == NotFound("workflow missing not found")


@pytest.mark.parametrize(
    ("error", "http_status"),
    [
        (InvalidArgument("bad", violations=[FieldViolation("a.b[0]", "nope")]), 400),
        (FailedPrecondition("stale", info=ErrorInfo("VERSION", {"current": "3"})), 400),
        (FailedPrecondition("stale", http_status=412), 412),
        (OutOfRange("page"), 400),
        (Unauthenticated("who"), 401),
        (PermissionDenied("no"), 403),
        (NotFound("gone"), 404),
        (AlreadyExists("twice"), 409),
        (Aborted("conflict"), 409),
        (ResourceExhausted("slow down"), 429),
        (Cancelled("client left"), 499),
        (Internal("boom"), 500),
        (DataLoss("lost"), 500),
        (Unimplemented("later"), 501),
        (Unavailable("down"), 503),
        (DeadlineExceeded("late"), 504),
    ],
)
async def test_every_error_kind_maps_on_both(
    toy: ToyWorkflows,
    http: httpx.AsyncClient,
    stub: engine_pb2_grpc.WorkflowServiceStub,
    error: BridgeError,
    http_status: int,
) -> None:
    toy.raise_on_delete = error
    response, over_http, over_grpc = await _both_errors(
        http, stub,
        ("DELETE", "/v1/workflows/w", {"params": {"user_id": "u1"}}),
        engine_pb2.DeleteWorkflowRequest(workflow_id="w", user_id="u1"),
        "DeleteWorkflow",
    )  # fmt: skip
    assert response.status_code == http_status
    assert response.json()["error"]["code"] == error.code.name
    assert over_http == over_grpc == error
    assert type(over_http) is type(error)


async def test_unexpected_exception_is_internal_without_leaking(
    toy: ToyWorkflows,
    http: httpx.AsyncClient,
    stub: engine_pb2_grpc.WorkflowServiceStub,
    caplog: pytest.LogCaptureFixture,
) -> None:
    toy.raise_on_delete = RuntimeError("secret database password in a stack trace")
    response = await http.delete(
        "/v1/workflows/w", params={"user_id": "u1"}, headers={"x-request-id": "req-42"}
    )
    assert response.status_code == 500
    envelope = response.json()["error"]
    assert envelope["code"] == "INTERNAL"
    assert envelope["message"] == "internal error (request id req-42)"
    assert "secret" not in response.text
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await stub.DeleteWorkflow(engine_pb2.DeleteWorkflowRequest(workflow_id="w", user_id="u1"))
    assert failure.value.code() == grpc.StatusCode.INTERNAL
    assert "secret" not in (failure.value.details() or "")
    logged = [r for r in caplog.records if r.getMessage() == "unhandled error"]
    assert logged and getattr(logged[0], "request_id", None) == "req-42"
    assert "secret database password" in (logged[0].exc_text or "")


def test_error_table_covers_every_code() -> None:
    from bridge.errors import CODE_TO_HTTP, ERROR_CLASSES

    assert set(CODE_TO_HTTP) == set(Code)
    assert set(ERROR_CLASSES) == set(Code) - {Code.OK}


async def test_context_is_filled_the_same_way(
    toy: ToyWorkflows, http: httpx.AsyncClient, stub: engine_pb2_grpc.WorkflowServiceStub
) -> None:
    headers = {"x-request-id": "rid-1", "x-user-id": "alice", "idempotency-key": "k-1"}
    await http.post("/v1/workflows", json=create_body("alice"), headers=headers)
    grpc_call = stub.GetWorkflow(
        engine_pb2.GetWorkflowRequest(workflow_id="wf_1", user_id="alice"),
        metadata=tuple(headers.items()),
        timeout=5,
    )
    await grpc_call
    over_http, over_grpc = toy.seen
    assert (over_http.protocol, over_grpc.protocol) == ("http", "grpc")
    for ctx in (over_http, over_grpc):
        assert (ctx.request_id, ctx.user_id, ctx.idempotency_key) == ("rid-1", "alice", "k-1")
    assert over_http.deadline is None and over_grpc.deadline is not None
    assert ("x-request-id", "rid-1") in tuple(await grpc_call.initial_metadata())


async def test_request_id_is_generated_and_echoed(http: httpx.AsyncClient) -> None:
    response = await http.get("/v1/workflows", params={"user_id": "u"})
    assert len(response.headers["x-request-id"]) == 32


async def test_http_specific_bad_input(http: httpx.AsyncClient) -> None:
    bad_json = await http.post(
        "/v1/workflows", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert bad_json.status_code == 400
    assert "not valid JSON" in bad_json.json()["error"]["message"]
    unknown = await http.post("/v1/workflows", json={**create_body(), "connectionz": {}})
    assert unknown.json()["error"]["details"][0]["field"] == "connectionz"
    misplaced = await http.patch("/v1/workflows/wf_1", json={"user_id": "u1", "workflow_id": "x"})
    assert misplaced.json()["error"]["details"][0] == {
        "@type": "type.googleapis.com/google.rpc.BadRequest.FieldViolation",
        "field": "workflow_id",
        "description": "belongs in the URL, not the body",
    }
    typo = await http.get("/v1/workflows", params={"user_id": "u1", "limt": "5"})
    assert typo.status_code == 400 and typo.json()["error"]["details"][0]["field"] == "limt"
    wrong_type = await http.get("/v1/workflows", params={"user_id": "u1", "limit": "many"})
    assert wrong_type.json()["error"]["details"][0]["field"] == "limit"
    no_route = await http.get("/v2/nothing")
    assert no_route.status_code == 404 and no_route.json()["error"]["code"] == "NOT_FOUND"


async def test_server_returns_exact_status_and_json(
    server: BridgeServer, http: httpx.AsyncClient
) -> None:
    created = await http.post("/v1/workflows", json=create_body())
    assert created.headers["content-type"] == "application/json"
    assert m.CreateWorkflowResponse.model_validate_json(created.content).success is True
