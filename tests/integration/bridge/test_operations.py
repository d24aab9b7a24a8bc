"""Operating a bridge server: health, metrics, limits, deadlines, auth, shutdown, switches."""

from __future__ import annotations

import asyncio
import socket

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from bridge.admin.v1 import admin_pb2, admin_pb2_grpc
from bridge.server import BridgeServer
from contract.engine.v1 import engine_pb2, engine_pb2_grpc
from tests.integration.bridge.conftest import StartServer
from tests.integration.bridge.test_parity import create_body
from tests.integration.bridge.toy import ToyWorkflows

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def _grpc_health(server: BridgeServer, service: str = "") -> int:
    async with grpc.aio.insecure_channel(server.grpc_address) as channel:
        response = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=5
        )
        return int(response.status)


async def test_health_both_ways_and_drain(server: BridgeServer, http: httpx.AsyncClient) -> None:
    assert (await http.get("/health")).json() == {"status": "SERVING", "checks": {}}
    assert await _grpc_health(server) == SERVING
    assert await _grpc_health(server, "contract.engine.v1.WorkflowService") == SERVING
    await server.health.start_draining()
    response = await http.get("/health")
    assert response.status_code == 503
    assert response.json()["checks"]["draining"] == "shutting down"
    assert await _grpc_health(server) == NOT_SERVING
    assert await _grpc_health(server, "contract.engine.v1.WorkflowService") == NOT_SERVING


async def test_health_includes_dependencies(start_server: StartServer) -> None:
    database_up = True

    async def database() -> None:
        if not database_up:
            raise ConnectionError("connection refused")

    server = await start_server(health_checks={"database": database})
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        assert (await http.get("/health")).json()["checks"] == {"database": "ok"}
        database_up = False
        await server.health.evaluate(fresh=True)
        response = await http.get("/health")
        assert response.status_code == 503
        assert response.json()["checks"]["database"] == "ConnectionError: connection refused"
        assert await _grpc_health(server) == NOT_SERVING


async def test_grpc_health_watch_sees_changes(server: BridgeServer) -> None:
    async with grpc.aio.insecure_channel(server.grpc_address) as channel:
        stream = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest())
        first = await stream.read()
        assert first.status == SERVING
        await server.health.start_draining()
        second = await asyncio.wait_for(stream.read(), 5)
        assert second.status == NOT_SERVING
        stream.cancel()


async def test_metrics_are_counted_per_protocol(
    server: BridgeServer, http: httpx.AsyncClient, stub: engine_pb2_grpc.WorkflowServiceStub
) -> None:
    await http.get("/v1/workflows", params={"user_id": "u"})
    await http.get("/v1/workflows/nope", params={"user_id": "u"})
    await stub.ListWorkflows(engine_pb2.ListWorkflowsRequest(user_id="u"))
    text = (await http.get("/metrics")).text
    label = 'service="contract.engine.v1.WorkflowService"'
    assert (
        f'bridge_requests_total{{code="OK",method="ListWorkflows",protocol="http",{label}}} 1.0'
        in text
    )
    assert (
        f'bridge_requests_total{{code="OK",method="ListWorkflows",protocol="grpc",{label}}} 1.0'
        in text
    )
    not_found = 'code="NOT_FOUND",method="GetWorkflow",protocol="http"'
    assert f"bridge_request_errors_total{{{not_found},{label}}} 1.0" in text
    assert (
        'bridge_request_duration_seconds_bucket{code="OK",le="0.5",method="ListWorkflows",protocol="grpc"'
        in text
    )


async def test_request_too_large(start_server: StartServer) -> None:
    server = await start_server(max_request_bytes=64 * 1024)
    big = create_body()
    big["description"] = None
    big["static_data"] = {f"k{i}": "x" * 1000 for i in range(100)}  # ~100 KB
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        response = await http.post("/v1/workflows", json=big)
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "RESOURCE_EXHAUSTED"
    async with grpc.aio.insecure_channel(server.grpc_address) as channel:
        stub = engine_pb2_grpc.WorkflowServiceStub(channel)
        request = engine_pb2.CreateWorkflowRequest(
            user_id="u", name="w", static_data=big["static_data"]
        )
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await stub.CreateWorkflow(request)
        assert failure.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


async def test_deadline_bounds_handler_time(
    toy: ToyWorkflows, http: httpx.AsyncClient, stub: engine_pb2_grpc.WorkflowServiceStub
) -> None:
    await http.post("/v1/workflows", json=create_body())
    toy.block = asyncio.Event()
    response = await http.post(
        "/v1/workflows/wf_1/execute", json={"user_id": "u1"},
        headers={"x-request-timeout-ms": "200"},
    )  # fmt: skip
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "DEADLINE_EXCEEDED"
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await stub.ExecuteWorkflow(
            engine_pb2.ExecuteWorkflowRequest(workflow_id="wf_1", user_id="u1"), timeout=0.2
        )
    assert failure.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


async def test_service_token_is_required_on_both(start_server: StartServer) -> None:
    server = await start_server(service_token="s3cret")
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        anonymous = await http.get("/v1/workflows", params={"user_id": "u"})
        assert anonymous.status_code == 401
        assert anonymous.json()["error"]["code"] == "UNAUTHENTICATED"
        wrong = await http.get(
            "/v1/workflows", params={"user_id": "u"}, headers={"authorization": "Bearer nope"}
        )
        assert wrong.status_code == 401
        ok = await http.get(
            "/v1/workflows", params={"user_id": "u"}, headers={"authorization": "Bearer s3cret"}
        )
        assert ok.status_code == 200
        assert (await http.get("/health")).status_code == 200  # load balancers need no token
        admin = await http.post("/admin/listeners", json={"protocol": "grpc", "enabled": False})
        assert admin.status_code == 401
    async with grpc.aio.insecure_channel(server.grpc_address) as channel:
        stub = engine_pb2_grpc.WorkflowServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await stub.ListWorkflows(engine_pb2.ListWorkflowsRequest(user_id="u"))
        assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED
        response = await stub.ListWorkflows(
            engine_pb2.ListWorkflowsRequest(user_id="u"),
            metadata=(("authorization", "Bearer s3cret"),),
        )
        assert response.total_count == 0


async def test_graceful_shutdown_finishes_in_flight_calls_on_both(
    toy: ToyWorkflows, start_server: StartServer
) -> None:
    server = await start_server()
    http = httpx.AsyncClient(base_url=server.http_url, timeout=10)
    channel = grpc.aio.insecure_channel(server.grpc_address)
    stub = engine_pb2_grpc.WorkflowServiceStub(channel)
    await http.post("/v1/workflows", json=create_body())
    toy.block = asyncio.Event()
    over_http = asyncio.create_task(http.post("/v1/workflows/wf_1/execute", json={"user_id": "u1"}))
    over_grpc = asyncio.ensure_future(
        stub.ExecuteWorkflow(engine_pb2.ExecuteWorkflowRequest(workflow_id="wf_1", user_id="u1"))
    )
    for _ in range(500):  # both calls reach the handler (the toy records each context)
        if len([c for c in toy.seen if c.method == "ExecuteWorkflow"]) == 2:
            break
        await asyncio.sleep(0.01)
    stopping = asyncio.create_task(server.stop(grace=5))
    await asyncio.sleep(0.3)
    assert not stopping.done(), "stop() must wait for in-flight calls"
    assert (await _grpc_health_or_none(server)) in (None, NOT_SERVING)
    toy.block.set()
    http_response, grpc_response = await asyncio.gather(over_http, over_grpc)
    await stopping
    assert http_response.status_code == 200 and http_response.json()["success"] is True
    assert grpc_response.success is True
    # After the drain both listeners are closed.
    with pytest.raises(httpx.ConnectError):
        await http.get("/health")
    await http.aclose()
    await channel.close()


async def _grpc_health_or_none(server: BridgeServer) -> int | None:
    try:
        return await _grpc_health(server)
    except grpc.aio.AioRpcError:
        return None


def _port_open(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=0.5):
            return True
    except OSError:
        return False


async def test_listeners_switch_off_and_on_through_the_admin_call(server: BridgeServer) -> None:
    http_address = server.http_address
    async with grpc.aio.insecure_channel(server.grpc_address) as channel:
        admin = admin_pb2_grpc.BridgeAdminStub(channel)
        response = await admin.SetListener(
            admin_pb2.SetListenerRequest(protocol=admin_pb2.PROTOCOL_HTTP, enabled=False)
        )
        assert {(x.protocol, x.enabled) for x in response.listeners} == {
            (admin_pb2.PROTOCOL_GRPC, True), (admin_pb2.PROTOCOL_HTTP, False),
        }  # fmt: skip
        assert not _port_open(http_address)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await admin.SetListener(
                admin_pb2.SetListenerRequest(protocol=admin_pb2.PROTOCOL_GRPC, enabled=False)
            )
        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        await admin.SetListener(
            admin_pb2.SetListenerRequest(protocol=admin_pb2.PROTOCOL_HTTP, enabled=True)
        )
    assert server.http_address == http_address, "the listener comes back on the same port"
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        assert (await http.get("/v1/workflows", params={"user_id": "u"})).status_code == 200
        # And the other way round: HTTP switches gRPC off, then on.
        off = await http.post("/admin/listeners", json={"protocol": "grpc", "enabled": False})
        assert off.status_code == 200
        assert not _port_open(server.grpc_address)
        on = await http.post("/admin/listeners", json={"protocol": "grpc", "enabled": True})
        assert {x["protocol"]: x["enabled"] for x in on.json()["listeners"]} == {
            "grpc": True,
            "http": True,
        }
    assert await _grpc_health(server) == SERVING


async def test_http_can_switch_itself_off(server: BridgeServer) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        response = await http.post("/admin/listeners", json={"protocol": "http", "enabled": False})
        assert response.status_code == 200
    for _ in range(100):
        if not _port_open(server.http_address):
            break
        await asyncio.sleep(0.02)
    assert not _port_open(server.http_address)


async def test_protocols_setting_chooses_listeners(start_server: StartServer) -> None:
    server = await start_server(protocols="grpc")
    assert server.describe()["http"] == "off"
    assert await _grpc_health(server) == SERVING


async def test_reflection_lists_the_real_service_names(server: BridgeServer) -> None:
    async with grpc.aio.insecure_channel(server.grpc_address) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        responses = stub.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")])
        )
        async for response in responses:
            names = {s.name for s in response.list_services_response.service}
            break
    assert {
        "contract.engine.v1.WorkflowService",
        "bridge.admin.v1.BridgeAdmin",
        "grpc.health.v1.Health",
    } <= names


async def test_openapi_documents_the_same_models(http: httpx.AsyncClient) -> None:
    spec = (await http.get("/openapi.json")).json()
    get_op = spec["paths"]["/v1/workflows/{workflow_id}"]["get"]
    assert {(p["name"], p["in"], p["required"]) for p in get_op["parameters"]} == {
        ("workflow_id", "path", True), ("user_id", "query", True),
    }  # fmt: skip
    assert get_op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "GetWorkflowResponse"
    )
    create = spec["paths"]["/v1/workflows"]["post"]
    body_ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body_ref == "#/components/schemas/CreateWorkflowRequest"
    assert "connections" in spec["components"]["schemas"]["CreateWorkflowRequest"]["properties"]
    patch_body = spec["paths"]["/v1/workflows/{workflow_id}"]["patch"]["requestBody"]
    patch_ref = patch_body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "workflow_id" not in spec["components"]["schemas"][patch_ref]["properties"]
    assert "422" not in create["responses"]
    assert (await http.get("/docs")).status_code == 200


async def test_cors_is_off_by_default(http: httpx.AsyncClient) -> None:
    preflight = await http.options(
        "/v1/workflows",
        headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers


async def test_cors_allows_only_listed_origins(start_server: StartServer) -> None:
    server = await start_server(cors_origins="https://app.example")
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        ok = await http.options(
            "/v1/workflows",
            headers={"origin": "https://app.example", "access-control-request-method": "POST"},
        )
        assert ok.headers["access-control-allow-origin"] == "https://app.example"
        assert ok.headers["access-control-allow-credentials"] == "true"
        other = await http.options(
            "/v1/workflows",
            headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
        )
        assert "access-control-allow-origin" not in other.headers


async def test_behind_a_prefix_stripping_proxy_docs_point_under_root_path(
    start_server: StartServer,
) -> None:
    """The internal ALB serves the engine under /engine and strips it: ROOT_PATH makes the
    docs page and the spec name /engine, while routes still answer without the prefix."""
    server = await start_server(root_path="/engine")
    async with httpx.AsyncClient(base_url=server.http_url) as client:
        docs = await client.get("/docs")
        assert docs.status_code == 200 and "/engine/openapi.json" in docs.text
        spec = (await client.get("/openapi.json")).json()
        assert spec["servers"] == [{"url": "/engine"}]
        assert (await client.get("/health")).status_code == 200


def test_root_path_must_be_a_clean_prefix() -> None:
    from pydantic import ValidationError

    from bridge.settings import BridgeSettings

    for bad in ("engine", "/engine/", "/en gine"):
        with pytest.raises(ValidationError, match="root_path"):
            BridgeSettings(root_path=bad)
