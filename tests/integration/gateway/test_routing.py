"""Per-call routing by flag against the real engine: choice, shadows, fall-over."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from bridge.admin.models import Protocol as Listener
from bridge.errors import Unavailable
from bridge.settings import BridgeSettings
from contract import models as m
from feature_flags import Decider, FlagSet
from feature_flags import Transport as P
from gateway.clients import CallOptions, GrpcTransport, HttpTransport, Method, WorkflowClient
from gateway.compare import differences
from gateway.routing import RoutedTransport
from services.engine.app import Engine
from services.engine.settings import EngineSettings
from tests.integration.gateway.test_transports import create_request

U = CallOptions(user_id="u1", timeout=5)


class Setup:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.flags = FlagSet()
        self.router = RoutedTransport(
            Decider(lambda: self.flags),
            {
                P.GRPC: GrpcTransport(engine.server.grpc_address),
                P.HTTP: HttpTransport(engine.server.http_url),
            },
        )
        self.client = WorkflowClient(self.router, attempts=1)

    def served(self, protocol: str, method: str) -> float:
        """Calls the engine itself counted for (protocol, method), from its metrics."""
        metric = self.engine.server.metrics.requests
        total = 0.0
        for sample in next(iter(metric.collect())).samples:
            labels = sample.labels
            if (
                sample.name.endswith("_total")
                and labels["protocol"] == protocol
                and labels["method"] == method
            ):
                total += sample.value
        return total


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    engine = Engine(EngineSettings(data_dir=tmp_path), BridgeSettings(port=0, grpc_port=0))
    await engine.server.start()
    s = Setup(engine)
    yield s
    await s.router.aclose()
    await engine.server.stop(grace=1)


async def test_the_flag_chooses_the_protocol_per_call(setup: Setup) -> None:
    wid = (await setup.client.create_workflow(create_request(), U)).workflow.id or ""
    assert setup.served("grpc", "CreateWorkflow") == 1  # default: gRPC
    setup.flags = FlagSet(services={"workflow_engine": "http"})
    await setup.client.get_workflow(m.GetWorkflowRequest(workflow_id=wid, user_id="u1"), U)
    assert setup.served("http", "GetWorkflow") == 1
    setup.flags = FlagSet(
        services={"workflow_engine": "http"}, methods={"workflow_engine/GetWorkflow": "grpc"}
    )
    await setup.client.get_workflow(m.GetWorkflowRequest(workflow_id=wid, user_id="u1"), U)
    assert setup.served("grpc", "GetWorkflow") == 1
    setup.flags = FlagSet(services={"workflow_engine": "http"}, kill_switch=True)
    await setup.client.list_workflows(m.ListWorkflowsRequest(user_id="u1"), U)
    assert setup.served("grpc", "ListWorkflows") == 1


async def test_a_percentage_splits_users_as_the_decider_says(setup: Setup) -> None:
    setup.flags = FlagSet(services={"workflow_engine": "http:50"})
    decider = Decider(lambda: setup.flags)
    users = [f"user-{i}" for i in range(40)]
    for user in users:
        await setup.client.list_workflows(
            m.ListWorkflowsRequest(user_id=user), CallOptions(user_id=user)
        )
    expected_http = sum(
        decider.decide("workflow_engine", "ListWorkflows", u).transport is P.HTTP for u in users
    )
    assert 0 < expected_http < 40
    assert setup.served("http", "ListWorkflows") == expected_http
    assert setup.served("grpc", "ListWorkflows") == 40 - expected_http


async def test_shadow_reads_go_to_both_and_match_writes_never_do(setup: Setup) -> None:
    setup.flags = FlagSet(services={"workflow_engine": "grpc+shadow"})
    wid = (await setup.client.create_workflow(create_request(), U)).workflow.id or ""
    assert (setup.served("grpc", "CreateWorkflow"), setup.served("http", "CreateWorkflow")) == (
        1,
        0,
    )
    await setup.client.get_workflow(m.GetWorkflowRequest(workflow_id=wid, user_id="u1"), U)
    with pytest.raises(Exception, match="not found"):
        await setup.client.get_workflow(m.GetWorkflowRequest(workflow_id="nope", user_id="u1"), U)
    await setup.router.settle()
    assert (setup.served("grpc", "GetWorkflow"), setup.served("http", "GetWorkflow")) == (2, 2)
    stats = setup.router.stats
    assert (stats.shadow_matches, stats.shadow_mismatches, stats.shadow_errors) == (2, 0, 0)


class _Slow:
    """An in-process transport double that answers late (a slow candidate protocol)."""

    name = "slow"

    def __init__(self, answer: BaseModel, delay: float) -> None:
        self.answer, self.delay = answer, delay

    async def call(self, method: Method, request: BaseModel, options: CallOptions) -> BaseModel:
        await asyncio.sleep(self.delay)
        return self.answer

    async def stream(
        self, method: Method, request: BaseModel, options: CallOptions
    ) -> AsyncGenerator[BaseModel, None]:
        await asyncio.sleep(self.delay)
        yield self.answer

    async def aclose(self) -> None:
        return None


async def test_a_slow_shadow_never_slows_the_user_and_a_wrong_one_is_reported(setup: Setup) -> None:
    wid = (await setup.client.create_workflow(create_request(), U)).workflow.id or ""
    real = await setup.client.get_workflow(m.GetWorkflowRequest(workflow_id=wid, user_id="u1"), U)
    wrong = real.model_copy(update={"workflow": real.workflow.model_copy(update={"name": "Other"})})
    router = RoutedTransport(
        Decider(lambda: FlagSet(services={"workflow_engine": "grpc+shadow"})),
        {P.GRPC: GrpcTransport(setup.engine.server.grpc_address), P.HTTP: _Slow(wrong, 1.0)},
    )
    client = WorkflowClient(router, attempts=1)
    start = time.perf_counter()
    answer = await client.get_workflow(m.GetWorkflowRequest(workflow_id=wid, user_id="u1"), U)
    assert time.perf_counter() - start < 0.5, "the user got the primary's answer at once"
    assert answer == real
    await router.settle()
    assert router.stats.shadow_mismatches == 1
    assert router.stats.recent_mismatches[0].paths == ["workflow.name"]
    await router.aclose()


async def test_fall_over_to_the_other_protocol_only_where_safe(setup: Setup) -> None:
    setup.flags = FlagSet(services={"workflow_engine": "http"})
    await setup.engine.server.set_listener(Listener.HTTP, False)
    listed = await setup.client.list_workflows(m.ListWorkflowsRequest(user_id="u1"), U)
    assert listed.total_count == 0
    assert setup.router.stats.fallbacks["ListWorkflows"] == 1
    with pytest.raises(Unavailable):
        await setup.client.create_workflow(create_request(), U)
    keyed = CallOptions(user_id="u1", idempotency_key="k1", timeout=5)
    created = await setup.client.create_workflow(create_request(), keyed)
    await setup.engine.server.set_listener(Listener.HTTP, True)
    again = await setup.client.create_workflow(create_request(), keyed)
    assert again == created, "the keyed write applied once, on whichever protocol"
    assert (
        await setup.client.list_workflows(m.ListWorkflowsRequest(user_id="u1"), U)
    ).total_count == 1


def test_differences_name_the_paths() -> None:
    left = {"a": 1, "b": [{"c": 1}, {"c": 2}], "id": "x"}
    right = {"a": 2, "b": [{"c": 1}, {"c": 3}, {"c": 4}], "id": "y", "d": 0}
    assert differences(left, right, ignore={"id"}) == ["a", "b.length", "b[1].c", "d"]
