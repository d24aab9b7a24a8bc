"""Automatic rollback: faults or slowness on HTTP send the service back to gRPC through the
flag store, while callers keep getting answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from bridge.admin.models import Protocol as Listener
from bridge.errors import NotFound
from bridge.settings import BridgeSettings
from contract import models as m
from feature_flags import Decider, FileStore, FlagSet, Rule
from feature_flags import Transport as P
from gateway.clients import CallOptions, GrpcTransport, HttpTransport, Method, WorkflowClient
from gateway.rollback import RollbackGuard, Thresholds
from gateway.routing import RoutedTransport
from services.engine.app import Engine
from services.engine.settings import EngineSettings

U = CallOptions(user_id="u1", timeout=5)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[Engine]:
    instance = Engine(EngineSettings(data_dir=tmp_path / "db"), BridgeSettings(port=0, grpc_port=0))
    await instance.server.start()
    yield instance
    await instance.server.stop(grace=1)


async def _store(tmp_path: Path, rule: str) -> FileStore:
    store = FileStore(tmp_path / "flags.json")
    await store.update(
        lambda f: f.model_copy(update={"services": {"workflow_engine": Rule.parse(rule)}}),
        who="ops", why="cutover",
    )  # fmt: skip
    return store


async def test_faults_on_http_roll_the_service_back_and_users_see_no_error(
    engine: Engine, tmp_path: Path
) -> None:
    store = await _store(tmp_path, "http")
    guard = RollbackGuard(store, Thresholds(min_calls=5, error_rate=0.2))
    router = RoutedTransport(
        Decider(store.current),
        {
            P.GRPC: GrpcTransport(engine.server.grpc_address),
            P.HTTP: HttpTransport(engine.server.http_url),
        },
        guard=guard,
    )
    client = WorkflowClient(router, attempts=1)
    await engine.server.set_listener(Listener.HTTP, False)  # the fault
    for _ in range(8):  # every call still answers (fall-over to gRPC)
        assert (
            await client.list_workflows(m.ListWorkflowsRequest(user_id="u1"), U)
        ).total_count == 0
    await guard.settle()
    assert str(store.current().services["workflow_engine"]) == "grpc"
    [record] = guard.history
    assert record.service == "workflow_engine" and "error rate" in record.reason
    [entry, _] = await store.history()
    assert entry.who == "auto-rollback" and "error rate" in entry.why
    calls_before = router.stats.fallbacks["ListWorkflows"]
    await client.list_workflows(m.ListWorkflowsRequest(user_id="u1"), U)
    assert router.stats.fallbacks["ListWorkflows"] == calls_before, "now served by gRPC directly"
    await router.aclose()


async def test_caller_errors_do_not_count_as_faults(engine: Engine, tmp_path: Path) -> None:
    store = await _store(tmp_path, "http")
    guard = RollbackGuard(store, Thresholds(min_calls=5, error_rate=0.2))
    router = RoutedTransport(
        Decider(store.current),
        {
            P.GRPC: GrpcTransport(engine.server.grpc_address),
            P.HTTP: HttpTransport(engine.server.http_url),
        },
        guard=guard,
    )
    client = WorkflowClient(router, attempts=1)
    for _ in range(10):
        with pytest.raises(NotFound):
            await client.get_workflow(m.GetWorkflowRequest(workflow_id="nope", user_id="u1"), U)
    await guard.settle()
    assert str(store.current().services["workflow_engine"]) == "http"
    assert not guard.history
    await router.aclose()


class _Delayed:
    """Wraps a real transport and adds latency (a slow protocol, injected in-process)."""

    def __init__(self, inner: HttpTransport, delay: float) -> None:
        self.inner, self.delay, self.name = inner, delay, inner.name

    async def call(self, method: Method, request: BaseModel, options: CallOptions) -> BaseModel:
        await asyncio.sleep(self.delay)
        return await self.inner.call(method, request, options)

    async def stream(
        self, method: Method, request: BaseModel, options: CallOptions
    ) -> AsyncGenerator[BaseModel, None]:
        await asyncio.sleep(self.delay)
        async for message in self.inner.stream(method, request, options):
            yield message

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_slowness_on_http_rolls_back_too(engine: Engine, tmp_path: Path) -> None:
    store = await _store(tmp_path, "http:50")
    guard = RollbackGuard(store, Thresholds(min_calls=10, p99_ratio=3.0))
    router = RoutedTransport(
        Decider(store.current),
        {P.GRPC: GrpcTransport(engine.server.grpc_address),
         P.HTTP: _Delayed(HttpTransport(engine.server.http_url), 0.05)},
        guard=guard,
    )  # fmt: skip
    client = WorkflowClient(router, attempts=1)
    for i in range(80):
        user = f"user-{i}"
        await client.list_workflows(m.ListWorkflowsRequest(user_id=user), CallOptions(user_id=user))
        if guard.history:
            break
    await guard.settle()
    assert guard.history and "p99" in guard.history[0].reason
    assert str(store.current().services["workflow_engine"]) == "grpc"
    await router.aclose()


def test_no_rollback_when_no_traffic_goes_to_http(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "flags.json")
    guard = RollbackGuard(store, Thresholds(min_calls=1))
    assert store.current() == FlagSet()
    guard._roll_back("workflow_engine", "test")  # the service is already all gRPC
    assert not guard._tasks
