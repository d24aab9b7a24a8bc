"""The engine served for real (bridge, SQLite, executor) and called over both protocols."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from redis.asyncio import Redis

from bridge.errors import FailedPrecondition, from_grpc_error
from bridge.settings import BridgeSettings
from contract import models as m
from contract.binding import converter
from contract.engine.v1 import engine_pb2, engine_pb2_grpc
from services.engine.app import Engine
from services.engine.scheduler import CronScheduler, DatabaseClaims, RedisClaims
from services.engine.settings import EngineSettings
from services.engine.storage import create_store
from tests.conftest import require_service
from tests.databases import BACKENDS, engine_store

conv = converter()


class Clients:
    def __init__(self, engine: Engine, http: httpx.AsyncClient, channel: grpc.aio.Channel) -> None:
        self.engine, self.http = engine, http
        self.workflows = engine_pb2_grpc.WorkflowServiceStub(channel)
        self.triggers = engine_pb2_grpc.TriggerServiceStub(channel)


@pytest.fixture(params=BACKENDS)
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Clients]:
    async with engine_store(request.param, tmp_path) as store:
        instance = Engine(
            EngineSettings(data_dir=tmp_path), BridgeSettings(port=0, grpc_port=0), store=store
        )
        await instance.server.start()
        try:
            async with (
                httpx.AsyncClient(base_url=instance.server.http_url, timeout=10) as http,
                grpc.aio.insecure_channel(instance.server.grpc_address) as channel,
            ):
                yield Clients(instance, http, channel)
        finally:
            await instance.server.stop(grace=1)


def body(user: str = "u1", wait: str = "0", **extra: Any) -> dict[str, Any]:
    return {
        "user_id": user, "name": "Ping",
        "nodes": [
            {"id": "start", "name": "Start", "type": "TRIGGER", "subtype": "MANUAL", "position": {"x": 0, "y": 0}},
            {"id": "wait", "name": "Wait", "type": "WAIT", "parameters": {"seconds": wait},
             "position": {"x": 1, "y": 0}, "credentials": {"api_key_ref": "cred_9"}},
            {"id": "set", "name": "Set", "type": "TRANSFORM", "position": {"x": 2, "y": 0},
             "parameters": {"target": "double", "expression": "{{ $json.n * 2 }}"}},
        ],
        "connections": {"start": {"main": [{"node": "wait", "type": "main"}]},
                        "wait": {"main": [{"node": "set", "type": "main"}]}},
        **extra,
    }  # fmt: skip


async def create(c: Clients, **kwargs: Any) -> str:
    response = await c.http.post("/v1/workflows", json=body(**kwargs))
    assert response.status_code == 201, response.text
    return str(response.json()["workflow"]["id"])


async def wait_final(c: Clients, execution_id: str, user: str = "u1") -> m.Execution:
    for _ in range(300):
        reply = await c.workflows.GetExecution(
            engine_pb2.GetExecutionRequest(execution_id=execution_id, user_id=user)
        )
        execution = conv.from_proto(reply, m.GetExecutionResponse).execution
        if execution.status in {m.ExecutionStatus.SUCCESS, m.ExecutionStatus.ERROR,
                                m.ExecutionStatus.CANCELED, m.ExecutionStatus.TIMED_OUT}:  # fmt: skip
            return execution
        await asyncio.sleep(0.02)
    raise AssertionError("execution did not finish")


async def test_crud_on_both_protocols_scoped_by_user(engine: Clients) -> None:
    wid = await create(engine)
    got = await engine.workflows.GetWorkflow(
        engine_pb2.GetWorkflowRequest(workflow_id=wid, user_id="u1")
    )
    assert got.workflow.name == "Ping" and got.workflow.version == "1"
    for user in ("u2",):
        http = await engine.http.get(f"/v1/workflows/{wid}", params={"user_id": user})
        assert http.status_code == 404
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await engine.workflows.DeleteWorkflow(
                engine_pb2.DeleteWorkflowRequest(workflow_id=wid, user_id=user)
            )
        assert failure.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await engine.workflows.ExecuteWorkflow(
                engine_pb2.ExecuteWorkflowRequest(workflow_id=wid, user_id=user)
            )
        assert failure.value.code() == grpc.StatusCode.NOT_FOUND
    patched = await engine.http.patch(
        f"/v1/workflows/{wid}", json={"user_id": "u1", "name": "Pong", "tags": ["t"]}
    )
    assert patched.json()["workflow"]["version"] == "2"
    listed = await engine.workflows.ListWorkflows(
        engine_pb2.ListWorkflowsRequest(user_id="u1", tags=["t"])
    )
    assert listed.total_count == 1 and listed.workflows[0].name == "Pong"
    # Credentials are stored (GetWorkflow returns them) but never listed.
    assert dict(got.workflow.nodes[1].credentials) == {"api_key_ref": "cred_9"}
    assert dict(listed.workflows[0].nodes[1].credentials) == {}
    deleted = await engine.http.delete(f"/v1/workflows/{wid}", params={"user_id": "u1"})
    assert deleted.status_code == 200
    assert (
        await engine.http.get(f"/v1/workflows/{wid}", params={"user_id": "u1"})
    ).status_code == 404


async def test_engine_refuses_what_it_cannot_run(engine: Clients) -> None:
    bad = body()
    bad["nodes"][2]["type"] = "SEND_FAX"
    bad["nodes"][1]["parameters"] = {}
    response = await engine.http.post("/v1/workflows", json=bad)
    assert response.status_code == 400
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert fields == {"nodes[2].type", "nodes[1].parameters.seconds"}
    request = conv.to_proto(
        m.CreateWorkflowRequest.model_validate(bad), engine_pb2.CreateWorkflowRequest
    )
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await engine.workflows.CreateWorkflow(request)
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert failure.value.details() == response.json()["error"]["message"]
    listed = await engine.http.get(
        "/v1/workflows", params={"user_id": "u1", "active_only": "false"}
    )
    assert listed.json()["total_count"] == 0, "nothing half-written"


async def test_update_checks_the_expected_version_and_the_whole_graph(engine: Clients) -> None:
    wid = await create(engine)
    stale = await engine.http.patch(
        f"/v1/workflows/{wid}", json={"user_id": "u1", "name": "x", "expected_version": "7"}
    )
    assert stale.status_code == 412
    assert stale.json()["error"]["details"][0]["metadata"] == {"current_version": "1"}
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await engine.workflows.UpdateWorkflow(
            engine_pb2.UpdateWorkflowRequest(
                workflow_id=wid, user_id="u1", name="x", expected_version="7"
            )
        )
    error = from_grpc_error(failure.value)
    assert isinstance(error, FailedPrecondition) and error.info is not None
    assert error.info.metadata == {"current_version": "1"}
    dangling = await engine.http.patch(
        f"/v1/workflows/{wid}",
        json={
            "user_id": "u1",
            "connections": {"set": {"main": [{"node": "ghost", "type": "main"}]}},
        },
    )
    assert dangling.status_code == 400 and "ghost" in dangling.json()["error"]["message"]


async def test_execute_runs_in_the_background_and_persists_runs(engine: Clients) -> None:
    wid = await create(engine)
    started = await engine.http.post(
        f"/v1/workflows/{wid}/execute", json={"user_id": "u1", "trigger_data": {"n": 21}}
    )
    assert started.status_code == 202 and started.json()["status"] == "NEW"
    execution = await wait_final(engine, started.json()["execution_id"])
    assert execution.status is m.ExecutionStatus.SUCCESS
    assert execution.run_data["set"].output == {"n": 21, "double": 42}
    assert [execution.run_data[n].status for n in ("start", "wait", "set")] == [
        m.NodeRunStatus.SUCCESS
    ] * 3
    over_http = await engine.http.get(f"/v1/executions/{execution.id}", params={"user_id": "u1"})
    assert m.GetExecutionResponse.model_validate(over_http.json()).execution == execution
    listed = await engine.http.get(
        "/v1/executions", params={"user_id": "u1", "workflow_id": wid, "status": "SUCCESS"}
    )
    assert listed.json()["total_count"] == 1


async def test_cancel_stops_running_nodes(engine: Clients) -> None:
    wid = await create(engine, wait="30")
    started = await engine.workflows.ExecuteWorkflow(
        engine_pb2.ExecuteWorkflowRequest(workflow_id=wid, user_id="u1")
    )
    for _ in range(200):
        reply = await engine.workflows.GetExecution(
            engine_pb2.GetExecutionRequest(execution_id=started.execution_id, user_id="u1")
        )
        if "wait" in reply.execution.run_data:
            break
        await asyncio.sleep(0.02)
    canceled = await engine.http.post(
        f"/v1/executions/{started.execution_id}/cancel", json={"user_id": "u1"}
    )
    assert canceled.status_code == 200
    execution = await wait_final(engine, started.execution_id)
    assert execution.status is m.ExecutionStatus.CANCELED
    assert execution.run_data["wait"].status is m.NodeRunStatus.CANCELED
    again = await engine.http.post(
        f"/v1/executions/{started.execution_id}/cancel", json={"user_id": "u1"}
    )
    assert again.status_code == 400 and again.json()["error"]["code"] == "FAILED_PRECONDITION"


async def test_a_write_retried_on_the_other_protocol_is_applied_once(engine: Clients) -> None:
    wid = await create(engine)
    key = {"idempotency-key": "exec-once-1"}
    first = await engine.http.post(
        f"/v1/workflows/{wid}/execute", json={"user_id": "u1"}, headers=key
    )
    second = await engine.workflows.ExecuteWorkflow(
        engine_pb2.ExecuteWorkflowRequest(workflow_id=wid, user_id="u1"),
        metadata=tuple(key.items()),
    )
    assert second.execution_id == first.json()["execution_id"]
    listed = await engine.workflows.ListExecutions(engine_pb2.ListExecutionsRequest(user_id="u1"))
    assert listed.total_count == 1
    # Concurrent creates with one key: one workflow.
    results = await asyncio.gather(*(
        engine.http.post("/v1/workflows", json=body(user="u9"), headers={"idempotency-key": "create-1"})
        for _ in range(4)
    ))  # fmt: skip
    assert len({r.json()["workflow"]["id"] for r in results}) == 1
    assert (await engine.http.get("/v1/workflows", params={"user_id": "u9"})).json()[
        "total_count"
    ] == 1


async def test_triggers_fire_executions_and_record_events(engine: Clients) -> None:
    wid = await create(engine)
    created = await engine.http.post(
        "/v1/triggers",
        json={
            "user_id": "u1",
            "workflow_id": wid,
            "type": "WEBHOOK",
            "config": {"path": "/orders"},
        },
    )
    assert created.status_code == 201
    tid = created.json()["trigger"]["id"]
    fired = await engine.triggers.FireTrigger(
        engine_pb2.FireTriggerRequest(trigger_id=tid, user_id="u1", payload={"n": 2})
    )
    execution = await wait_final(engine, fired.execution_id)
    assert execution.mode is m.ExecutionMode.WEBHOOK and execution.trigger_id == tid
    assert execution.run_data["set"].output["double"] == 4
    events = await engine.http.get(f"/v1/triggers/{tid}/events", params={"user_id": "u1"})
    assert (
        events.json()["total_count"] == 1
        and events.json()["events"][0]["execution_id"] == fired.execution_id
    )
    bad_cron = await engine.http.post(
        "/v1/triggers",
        json={"user_id": "u1", "workflow_id": wid, "type": "CRON", "config": {"cron": "every day"}},
    )
    assert (
        bad_cron.status_code == 400
        and bad_cron.json()["error"]["details"][0]["field"] == "config.cron"
    )
    other = await engine.http.post(
        "/v1/triggers", json={"user_id": "u2", "workflow_id": wid, "type": "MANUAL"}
    )
    assert other.status_code == 404
    off = await engine.http.post(
        "/v1/triggers",
        json={"user_id": "u1", "workflow_id": wid, "type": "MANUAL", "active": False},
    )
    refused = await engine.http.post(
        f"/v1/triggers/{off.json()['trigger']['id']}/fire", json={"user_id": "u1"}
    )
    assert (
        refused.status_code == 400
        and refused.json()["error"]["details"][0]["reason"] == "TRIGGER_INACTIVE"
    )


async def test_executions_left_running_by_a_crash_are_failed_at_start(tmp_path: Path) -> None:
    store = create_store(None, data_dir=tmp_path)
    await store.open()
    wf = await store.create_workflow(
        "u1", m.Workflow.model_validate({k: v for k, v in body().items() if k != "user_id"})
    )
    assert wf.id is not None
    ex = await store.create_execution(
        "u1",
        m.Execution(
            id="x", workflow_id=wf.id, status=m.ExecutionStatus.NEW, mode=m.ExecutionMode.MANUAL
        ),
    )
    await store.set_execution_status("u1", ex.id, m.ExecutionStatus.RUNNING)
    await store.close()
    instance = Engine(
        EngineSettings(data_dir=tmp_path), BridgeSettings(port=0, grpc_port=0, protocols="http")
    )
    await instance.server.start()
    try:
        recovered = await instance.store.get_execution("u1", ex.id)
        assert recovered is not None and recovered.status is m.ExecutionStatus.ERROR
        assert recovered.error is not None and "interrupted" in recovered.error.message
    finally:
        await instance.server.stop(grace=1)


async def test_shutdown_records_running_executions_as_interrupted(tmp_path: Path) -> None:
    instance = Engine(EngineSettings(data_dir=tmp_path), BridgeSettings(port=0, grpc_port=0))
    await instance.server.start()
    async with httpx.AsyncClient(base_url=instance.server.http_url) as http:
        wid = (await http.post("/v1/workflows", json=body(wait="60"))).json()["workflow"]["id"]
        ex_id = (await http.post(f"/v1/workflows/{wid}/execute", json={"user_id": "u1"})).json()[
            "execution_id"
        ]
        await asyncio.sleep(0.2)
    store = instance.store
    await instance.server.stop(grace=1)
    await store.open()
    execution = await store.get_execution("u1", ex_id)
    await store.close()
    assert execution is not None and execution.status is m.ExecutionStatus.ERROR
    assert execution.error is not None and "interrupted" in execution.error.message


async def _cron_setup(tmp_path: Path, cron: str, zone: str | None = None) -> Any:
    store = create_store(None, data_dir=tmp_path)
    await store.open()
    data = {k: v for k, v in body().items() if k != "user_id"}
    if zone:
        data["settings"] = {"timezone": {"name": zone}}
    wf = await store.create_workflow("u1", m.Workflow.model_validate(data))
    assert wf.id is not None
    await store.create_trigger(
        "u1", m.Trigger(id="x", workflow_id=wf.id, type=m.TriggerType.CRON, config={"cron": cron})
    )
    return store


async def _run_replicas(
    replicas: list[CronScheduler], clock: list[datetime], steps: list[timedelta]
) -> None:
    for replica in replicas:
        await replica.reload()
        await replica.run_due()
    for step in steps:
        clock[0] += step
        for replica in replicas:
            await replica.run_due()


@pytest.mark.parametrize("claims", ["database", "redis"])
async def test_cron_fires_each_slot_once_across_replicas(tmp_path: Path, claims: str) -> None:
    store = await _cron_setup(tmp_path, "*/5 * * * *")
    redis = None
    if claims == "redis":
        require_service("Redis", "127.0.0.1", 6379)
        redis = Redis.from_url("redis://127.0.0.1:6379/0")
        await redis.delete(*[k async for k in redis.scan_iter("cron:*")] or ["none"])
    clock = [datetime(2026, 1, 1, 12, 1, tzinfo=UTC)]
    fired: list[int] = []

    async def fire(user_id: str, trigger: m.Trigger, payload: dict[str, Any]) -> None:
        fired.append(payload["scheduled_at"])

    def claim() -> Any:
        return RedisClaims(redis) if redis is not None else DatabaseClaims(store)

    replicas = [CronScheduler(store, fire, claim(), now=lambda: clock[0]) for _ in range(3)]
    await _run_replicas(replicas, clock, [timedelta(minutes=4), timedelta(minutes=5)])
    await store.close()
    if redis is not None:
        locks = [key async for key in redis.scan_iter("cron:*")]
        assert len(locks) == 2, "one Redis lock per fired slot"
        await redis.aclose()
    expected = [datetime(2026, 1, 1, 12, 5, tzinfo=UTC), datetime(2026, 1, 1, 12, 10, tzinfo=UTC)]
    assert fired == [int(t.timestamp() * 1000) for t in expected]
    assert sum(r.fired for r in replicas) == 2


async def test_cron_uses_the_workflow_time_zone(tmp_path: Path) -> None:
    store = await _cron_setup(tmp_path, "0 9 * * *", zone="America/New_York")
    clock = [datetime(2026, 1, 15, 13, 0, tzinfo=UTC)]  # 08:00 in New York (EST)
    fired: list[int] = []

    async def fire(user_id: str, trigger: m.Trigger, payload: dict[str, Any]) -> None:
        fired.append(payload["scheduled_at"])

    scheduler = CronScheduler(store, fire, DatabaseClaims(store), now=lambda: clock[0])
    await _run_replicas([scheduler], clock, [timedelta(minutes=59), timedelta(minutes=1)])
    await store.close()
    assert fired == [int(datetime(2026, 1, 15, 14, 0, tzinfo=UTC).timestamp() * 1000)]


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.update(tags=[f"t{i}" for i in range(51)]), "tags"),
        (lambda b: b.update(nodes=b["nodes"] * 400), "nodes"),
        (lambda b: b["nodes"][0].update(position={"x": "left", "y": 0}), "nodes[0].position.x"),
        (
            lambda b: b["nodes"][1].update(retry_policy={"max_tries": "many"}),
            "nodes[1].retry_policy.max_tries",
        ),
        (
            lambda b: b.update(
                connections={"start": {"main": [{"node": "nowhere", "type": "main"}]}}
            ),
            "",
        ),
        (lambda b: b["nodes"][1].update(id="start"), ""),
    ],
    ids=[
        "oversize-tags",
        "oversize-nodes",
        "wrong-type",
        "wrong-nested-type",
        "dangling",
        "duplicate-id",
    ],
)
async def test_invalid_input_names_the_field_and_writes_nothing(
    engine: Clients, mutate: Any, field: str
) -> None:
    bad = body()
    mutate(bad)
    response = await engine.http.post("/v1/workflows", json=bad)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "INVALID_ARGUMENT"
    assert error["details"][0]["field"] == field
    listed = await engine.http.get(
        "/v1/workflows", params={"user_id": "u1", "active_only": "false"}
    )
    assert listed.json()["total_count"] == 0


async def test_webhook_fires_by_trigger_id_alone(engine: Clients) -> None:
    wid = await create(engine)
    hook = (
        await engine.http.post(
            "/v1/triggers", json={"user_id": "u1", "workflow_id": wid, "type": "WEBHOOK"}
        )
    ).json()["trigger"]["id"]
    manual = (
        await engine.http.post(
            "/v1/triggers", json={"user_id": "u1", "workflow_id": wid, "type": "MANUAL"}
        )
    ).json()["trigger"]["id"]
    fired = await engine.http.post(f"/v1/webhooks/{hook}", json={"payload": {"n": 5}})
    assert fired.status_code == 202
    execution = await wait_final(engine, fired.json()["execution_id"])
    assert (
        execution.run_data["set"].output["double"] == 10
        and execution.mode is m.ExecutionMode.WEBHOOK
    )
    over_grpc = await engine.triggers.FireWebhook(
        engine_pb2.FireWebhookRequest(trigger_id=hook, payload={"n": 1})
    )
    assert over_grpc.event.trigger_id == hook
    for not_a_webhook in (manual, "tr_unknown"):
        refused = await engine.http.post(f"/v1/webhooks/{not_a_webhook}", json={})
        assert (
            refused.status_code == 404
            and refused.json()["error"]["message"] == f"webhook {not_a_webhook!r} not found"
        )
    await engine.http.patch(f"/v1/workflows/{wid}", json={"user_id": "u1", "active": False})
    inactive = await engine.http.post(f"/v1/webhooks/{hook}", json={})
    assert (
        inactive.status_code == 400
        and inactive.json()["error"]["details"][0]["reason"] == "WORKFLOW_INACTIVE"
    )


async def test_a_locked_database_is_unavailable_on_both_protocols_never_a_500(
    tmp_path: Path,
) -> None:
    """Another writer holds SQLite's lock past the busy timeout: the call is UNAVAILABLE
    (503), which a caller may retry, and nothing was written; once the lock is gone the
    same keyed call applies once."""
    import sqlite3

    instance = Engine(EngineSettings(data_dir=tmp_path, sqlite_busy_timeout_ms=200),
                      BridgeSettings(port=0, grpc_port=0))  # fmt: skip
    await instance.server.start()
    holder = sqlite3.connect(tmp_path / "engine.db", isolation_level=None)
    try:
        async with (
            httpx.AsyncClient(base_url=instance.server.http_url, timeout=10) as http,
            grpc.aio.insecure_channel(instance.server.grpc_address) as channel,
        ):
            holder.execute("BEGIN IMMEDIATE")  # the write lock, held
            reply = await http.post("/v1/workflows", json=body(), headers={"idempotency-key": "k1"})
            assert reply.status_code == 503, reply.text
            assert reply.json()["error"]["code"] == "UNAVAILABLE"
            stub = engine_pb2_grpc.WorkflowServiceStub(channel)
            proto = conv.to_proto(
                m.CreateWorkflowRequest.model_validate(body()), engine_pb2.CreateWorkflowRequest
            )
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.CreateWorkflow(proto, timeout=10)
            assert caught.value.code() is grpc.StatusCode.UNAVAILABLE
            holder.execute("ROLLBACK")
            again = await http.post("/v1/workflows", json=body(), headers={"idempotency-key": "k1"})
            assert again.status_code == 201, again.text
            listed = await http.get("/v1/workflows", params={"user_id": "u1"})
            assert len(listed.json()["workflows"]) == 1
    finally:
        holder.close()
        await instance.server.stop(grace=1)
