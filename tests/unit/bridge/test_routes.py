"""Route derivation: reachable routes, field placement, versioned paths."""

from __future__ import annotations

import pytest

from bridge._http_adapter import build_http_app, check_routes_reachable, route_order
from bridge.dispatch import Dispatcher
from bridge.health import HealthState
from bridge.metrics import Metrics
from bridge.service import ServiceDefinition, get, post
from contract.binding import converter, model_for
from contract.engine.v1 import engine_pb2


def _service() -> ServiceDefinition:
    return ServiceDefinition(
        engine_pb2.DESCRIPTOR.services_by_name["WorkflowService"],
        converter=converter(),
        model_for=model_for,
    )


async def _noop(request: object, ctx: object) -> object:
    raise AssertionError("not called")


def _app(service: ServiceDefinition):  # type: ignore[no-untyped-def]
    metrics = Metrics()
    return build_http_app(
        title="t", version="0", services=[service],
        dispatcher=Dispatcher(metrics=metrics, service_token=None),
        health=HealthState(), metrics=metrics, max_request_bytes=1024,
    )  # fmt: skip


def test_static_route_declared_after_a_parameter_route_is_still_reachable() -> None:
    service = _service()
    service.unary("GetWorkflow", _noop, http=get("/v1/workflows/{workflow_id}"))
    service.unary("ListWorkflows", _noop, http=get("/v1/workflows/node-templates"))
    app = _app(service)
    from starlette.routing import Match

    scope = {"type": "http", "path": "/v1/workflows/node-templates", "method": "GET"}
    winner = next(r for r in app.router.routes if r.matches(scope)[0] is Match.FULL)
    assert winner.name.endswith("ListWorkflows")


def test_shadowed_route_is_refused_at_start_up() -> None:
    service = _service()
    service.unary("GetWorkflow", _noop, http=get("/v1/workflows/{workflow_id}"))
    service.unary("ListWorkflows", _noop, http=get("/v1/workflows/{user_id}"))
    with pytest.raises(ValueError, match=r"ListWorkflows.*is shadowed"):
        _app(service)


def test_route_order_puts_literals_first() -> None:
    paths = ["/v1/workflows/{id}", "/v1/workflows/node-templates", "/v1/{x}/a"]
    assert sorted(paths, key=route_order)[0] == "/v1/workflows/node-templates"


def test_route_fields_must_exist() -> None:
    with pytest.raises(ValueError, match=r"route names fields \['wid'\]"):
        _service().unary("GetWorkflow", _noop, http=get("/v1/workflows/{wid}"))


def test_get_fields_are_query_and_post_fields_are_body() -> None:
    service = _service()
    got = service.unary("GetWorkflow", _noop, http=get("/v1/workflows/{workflow_id}"))
    assert (got.query_fields, got.body_fields) == (("user_id",), ())
    posted = service.unary(
        "ExecuteWorkflow", _noop, http=post("/v1/workflows/{workflow_id}/execute")
    )
    assert set(posted.body_fields) == {"user_id", "trigger_data", "session_id"}


def test_incomplete_service_is_refused() -> None:
    service = _service()
    service.unary("GetWorkflow", _noop, http=get("/v1/workflows/{workflow_id}"))
    with pytest.raises(ValueError, match="no declaration for"):
        service.check_complete()


def test_unknown_or_duplicate_method_is_refused() -> None:
    service = _service()
    with pytest.raises(ValueError, match="has no method 'Nope'"):
        service.unary("Nope", _noop, http=get("/x"))
    service.unary("GetWorkflow", _noop, http=get("/v1/workflows/{workflow_id}"))
    with pytest.raises(ValueError, match="declared twice"):
        service.unary("GetWorkflow", _noop, http=get("/v1/w/{workflow_id}"))


def test_check_routes_reachable_passes_for_distinct_routes() -> None:
    service = _service()
    service.unary("GetWorkflow", _noop, http=get("/v1/workflows/{workflow_id}"))
    app = _app(service)
    check_routes_reachable(app, service.methods)
