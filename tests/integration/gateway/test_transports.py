"""Both transports against the real engine: same answers, same errors, safe retries only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bridge.admin.models import Protocol
from bridge.errors import BridgeError, FailedPrecondition, InvalidArgument, NotFound, Unavailable
from bridge.settings import BridgeSettings
from contract import models as m
from gateway.clients import CallOptions, GrpcTransport, HttpTransport, TriggerClient, WorkflowClient
from services.engine.app import Engine
from services.engine.settings import EngineSettings

U = CallOptions(user_id="u1", timeout=5)


class Pair:
    """The same clients over each transport."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.grpc = GrpcTransport(engine.server.grpc_address)
        self.http = HttpTransport(engine.server.http_url)
        self.workflows = {"grpc": WorkflowClient(self.grpc), "http": WorkflowClient(self.http)}
        self.triggers = {"grpc": TriggerClient(self.grpc), "http": TriggerClient(self.http)}


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[Pair]:
    engine = Engine(EngineSettings(data_dir=tmp_path), BridgeSettings(port=0, grpc_port=0))
    await engine.server.start()
    clients = Pair(engine)
    yield clients
    await clients.grpc.aclose()
    await clients.http.aclose()
    await engine.server.stop(grace=1)


def create_request(user: str = "u1") -> m.CreateWorkflowRequest:
    return m.CreateWorkflowRequest.model_validate(
        {
            "user_id": user, "name": "Ping", "tags": ["t"],
            "nodes": [
                {"id": "start", "name": "Start", "type": "TRIGGER", "subtype": "MANUAL", "position": {"x": 0, "y": 0}},
                {"id": "set", "name": "Set", "type": "TRANSFORM", "position": {"x": 1, "y": 0},
                 "parameters": {"target": "double", "expression": "{{ $json.n * 2 }}"}},
            ],
            "connections": {"start": {"main": [{"node": "set", "type": "main"}]}},
        }
    )  # fmt: skip


async def _finished(client: WorkflowClient, execution_id: str) -> m.Execution:
    for _ in range(300):
        execution = (
            await client.get_execution(
                m.GetExecutionRequest(execution_id=execution_id, user_id="u1"), U
            )
        ).execution
        if execution.status is m.ExecutionStatus.SUCCESS:
            return execution
        await asyncio.sleep(0.02)
    raise AssertionError("execution did not finish")


async def test_every_rpc_gives_the_same_answer_on_both_transports(pair: Pair) -> None:
    wf_g, wf_h = pair.workflows["grpc"], pair.workflows["http"]
    tr_g, tr_h = pair.triggers["grpc"], pair.triggers["http"]
    created = await wf_h.create_workflow(create_request(), U)
    wid = created.workflow.id
    assert wid is not None
    reads: list[tuple[str, Any, Any]] = [
        ("get_workflow", m.GetWorkflowRequest(workflow_id=wid, user_id="u1"), None),
        ("list_workflows", m.ListWorkflowsRequest(user_id="u1", tags=["t"], limit=5), None),
    ]
    for name, request, _ in reads:
        assert await getattr(wf_g, name)(request, U) == await getattr(wf_h, name)(request, U)
    updated = await wf_g.update_workflow(
        m.UpdateWorkflowRequest(workflow_id=wid, user_id="u1", tags=[], expected_version="1"), U
    )
    assert updated.workflow.version == "2" and updated.workflow.tags == []
    started = await wf_g.execute_workflow(
        m.ExecuteWorkflowRequest(workflow_id=wid, user_id="u1", trigger_data={"n": 4}), U
    )
    execution = await _finished(wf_h, started.execution_id)
    assert execution.run_data["set"].output == {"n": 4, "double": 8}
    for request in (m.GetExecutionRequest(execution_id=execution.id, user_id="u1"),):
        assert await wf_g.get_execution(request, U) == await wf_h.get_execution(request, U)
    listing = m.ListExecutionsRequest(
        user_id="u1", workflow_id=wid, status=m.ExecutionStatus.SUCCESS
    )
    assert (await wf_g.list_executions(listing, U)) == (await wf_h.list_executions(listing, U))
    trigger = (
        await tr_h.create_trigger(
            m.CreateTriggerRequest(user_id="u1", workflow_id=wid, type=m.TriggerType.WEBHOOK), U
        )
    ).trigger
    fired = await tr_g.fire_trigger(
        m.FireTriggerRequest(trigger_id=trigger.id, user_id="u1", payload={"n": 1}), U
    )
    await _finished(wf_g, fired.execution_id)
    for name, request in (
        ("get_trigger", m.GetTriggerRequest(trigger_id=trigger.id, user_id="u1")),
        ("list_triggers", m.ListTriggersRequest(user_id="u1", workflow_id=wid)),
        ("list_trigger_events", m.ListTriggerEventsRequest(trigger_id=trigger.id, user_id="u1")),
    ):
        assert await getattr(tr_g, name)(request, U) == await getattr(tr_h, name)(request, U)
    assert (
        await tr_h.delete_trigger(m.DeleteTriggerRequest(trigger_id=trigger.id, user_id="u1"), U)
    ).success
    assert (
        await wf_h.delete_workflow(m.DeleteWorkflowRequest(workflow_id=wid, user_id="u1"), U)
    ).success


async def _both(
    pair: Pair, name: str, request: Any, clients: str = "workflows"
) -> tuple[BridgeError, BridgeError]:
    errors = []
    for transport in ("grpc", "http"):
        with pytest.raises(BridgeError) as caught:
            await getattr(getattr(pair, clients)[transport], name)(request, U)
        errors.append(caught.value)
    return errors[0], errors[1]


async def test_every_error_is_the_same_exception_on_both(pair: Pair) -> None:
    missing = await _both(
        pair, "get_workflow", m.GetWorkflowRequest(workflow_id="nope", user_id="u1")
    )
    assert missing[0] == missing[1] and isinstance(missing[0], NotFound)
    bad = create_request()
    bad.nodes[1].type = "SEND_FAX"
    invalid = await _both(pair, "create_workflow", bad)
    assert invalid[0] == invalid[1] and isinstance(invalid[0], InvalidArgument)
    assert invalid[0].violations[0].field == "nodes[1].type"
    wid = (await pair.workflows["grpc"].create_workflow(create_request(), U)).workflow.id or ""
    stale = await _both(
        pair,
        "update_workflow",
        m.UpdateWorkflowRequest(workflow_id=wid, user_id="u1", name="x", expected_version="9"),
    )
    assert stale[0] == stale[1] and isinstance(stale[0], FailedPrecondition)
    assert stale[0].info is not None and stale[0].info.metadata == {"current_version": "1"}
    other_user = await _both(
        pair,
        "list_trigger_events",
        m.ListTriggerEventsRequest(trigger_id="tr_x", user_id="u2"),
        "triggers",
    )
    assert other_user[0] == other_user[1] and isinstance(other_user[0], NotFound)


async def test_a_write_retried_on_the_other_transport_is_applied_once(pair: Pair) -> None:
    keyed = CallOptions(user_id="u1", idempotency_key="create-once", timeout=5)
    first = await pair.workflows["http"].create_workflow(create_request(), keyed)
    again = await pair.workflows["grpc"].create_workflow(create_request(), keyed)
    assert first == again
    listed = await pair.workflows["grpc"].list_workflows(m.ListWorkflowsRequest(user_id="u1"), U)
    assert listed.total_count == 1


async def test_reads_retry_through_a_short_outage_and_unkeyed_writes_do_not(pair: Pair) -> None:
    client = WorkflowClient(pair.http, attempts=6, max_retry_seconds=3)
    await pair.engine.server.set_listener(Protocol.HTTP, False)

    async def reopen() -> None:
        await asyncio.sleep(0.15)
        await pair.engine.server.set_listener(Protocol.HTTP, True)

    reopening = asyncio.create_task(reopen())
    listed = await client.list_workflows(m.ListWorkflowsRequest(user_id="u1"), U)
    await reopening
    assert listed.total_count == 0
    await pair.engine.server.set_listener(Protocol.HTTP, False)
    with pytest.raises(Unavailable):
        await client.create_workflow(create_request(), U)
    await pair.engine.server.set_listener(Protocol.HTTP, True)
    listed = await client.list_workflows(m.ListWorkflowsRequest(user_id="u1"), U)
    assert listed.total_count == 0, "the refused write was never applied"
    # gRPC: connection refused is Unavailable too.
    await pair.engine.server.set_listener(Protocol.GRPC, False)
    with pytest.raises(Unavailable):
        await WorkflowClient(
            GrpcTransport(pair.engine.server.grpc_address), attempts=2
        ).list_workflows(m.ListWorkflowsRequest(user_id="u1"), CallOptions(user_id="u1", timeout=1))
    await pair.engine.server.set_listener(Protocol.GRPC, True)


def test_base_urls_carry_no_version() -> None:
    with pytest.raises(ValueError, match="must not end in a version"):
        HttpTransport("http://127.0.0.1:8002/v1")
    with pytest.raises(ValueError, match="host:port"):
        GrpcTransport("http://127.0.0.1:50050")


@pytest.fixture
async def agent_clients() -> AsyncIterator[tuple[dict[str, Any], dict[str, Any]]]:
    from gateway.clients import AgentClient, ConversationClient
    from services.agent.app import Agent
    from services.agent.offline import solvers
    from services.llm import OfflineProvider

    agent = Agent(
        bridge_settings=BridgeSettings(port=0, grpc_port=0), provider=OfflineProvider(solvers())
    )
    await agent.server.start()
    grpc, http = GrpcTransport(agent.server.grpc_address), HttpTransport(agent.server.http_url)
    yield ({"grpc": AgentClient(grpc), "http": AgentClient(http)},
           {"grpc": ConversationClient(grpc), "http": ConversationClient(http)})  # fmt: skip
    await grpc.aclose()
    await http.aclose()
    await agent.server.stop(grace=1)


async def test_every_agent_rpc_gives_the_same_answer_and_error_on_both_transports(
    agent_clients: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    agents, conversations = agent_clients
    generate = m.GenerateWorkflowRequest(
        description="Every Monday at 8:30 in Europe/Berlin fetch https://api.example.com/report "
        "then post it to https://hooks.slack.com/services/T/B/X"
    )
    answers = {p: await c.generate_workflow(generate, U) for p, c in agents.items()}
    assert answers["grpc"] == answers["http"] and answers["grpc"].success
    workflow = answers["grpc"].workflow
    assert workflow is not None and workflow.settings.timezone["name"] == "Europe/Berlin"
    broken = {"nodes": [{"id": "a", "name": "A", "type": "NOPE", "position": {"x": 0, "y": 0}}]}
    validate = m.ValidateWorkflowRequest(workflow_data=broken)
    checks = {p: await c.validate_workflow(validate, U) for p, c in agents.items()}
    assert checks["grpc"] == checks["http"] and not checks["grpc"].valid
    refine = m.RefineWorkflowRequest(
        workflow_id="w1", feedback="retry 4 times", original_workflow=workflow
    )
    refined = {p: await c.refine_workflow(refine, U) for p, c in agents.items()}
    assert refined["grpc"] == refined["http"] and refined["grpc"].changes
    turn = m.ProcessConversationRequest(
        session_id="s", user_message=generate.description, user_id="u1"
    )
    streams = {
        p: [e async for e in c.process_conversation(turn, U)] for p, c in conversations.items()
    }
    assert streams["grpc"] == streams["http"]
    assert streams["grpc"][-1].kind is m.ConversationEventKind.STATE
    # The same error, raised as the same exception, on both.
    errors = {}
    for protocol, client in agents.items():
        bad = m.RefineWorkflowRequest.model_construct(
            workflow_id="w1", feedback="", original_workflow=workflow
        )
        with pytest.raises(InvalidArgument) as caught:
            await client.refine_workflow(bad, U)
        errors[protocol] = (caught.value.code, str(caught.value))
    assert errors["grpc"] == errors["http"]
