"""Capture: sampled, written off the request path, secrets redacted before writing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bridge.errors import NotFound
from bridge.settings import BridgeSettings
from contract import models as m
from feature_flags import Decider, FlagSet, Rule
from feature_flags import Transport as P
from gateway.capture import REDACTED, CallRecorder, open_recorder, read_corpus, redact
from gateway.clients import CallOptions, GrpcTransport, HttpTransport, WorkflowClient
from gateway.routing import RoutedTransport
from services.engine.app import Engine
from services.engine.settings import EngineSettings

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def test_redaction_covers_credentials_tokens_keys_and_leaves_the_rest() -> None:
    value = {
        "nodes": [
            {
                "id": "call",
                "credentials": {"httpBasicAuth": "cred-42", "oauth": "tok"},
                "parameters": {
                    "url": "https://api.example.com",
                    "headers": f'{{"Authorization": "Bearer {JWT}"}}',
                    "note": "key sk-abcdefghijklmnopqrstuvwx and AKIAABCDEFGHIJKLMNOP",
                },
            }
        ],
        "api_key": "k-1",
        "x-api-key": "k-2",
        "Authorization": "Basic dXNlcjpwYXNz",
        "auth_token": "t",
        "password": "p",
        "max_tokens": 256,
        "token_count": "7",
        "secret": {"nested": ["a", "b"], "n": 3},
    }
    out = redact(value)
    node = out["nodes"][0]
    assert node["credentials"] == {"httpBasicAuth": REDACTED, "oauth": REDACTED}
    assert node["parameters"]["url"] == "https://api.example.com"
    assert JWT not in node["parameters"]["headers"] and REDACTED in node["parameters"]["headers"]
    assert node["parameters"]["note"] == f"key {REDACTED} and {REDACTED}"
    for key in ("api_key", "x-api-key", "Authorization", "auth_token", "password"):
        assert out[key] == REDACTED, key
    assert out["max_tokens"] == 256 and out["token_count"] == "7"
    assert out["secret"] == {"nested": [REDACTED, REDACTED], "n": 3}
    assert value["api_key"] == "k-1", "the input is not changed"


def test_recorder_settings() -> None:
    assert open_recorder(None, 1.0) is None
    assert open_recorder("x.jsonl", 0.0) is None
    recorder = open_recorder("x.jsonl", 0.5)
    assert recorder is not None and recorder.sample_rate == 0.5
    with pytest.raises(ValueError, match="sample rate"):
        CallRecorder("x.jsonl", sample_rate=1.5)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[Engine]:
    instance = Engine(EngineSettings(data_dir=tmp_path / "db"), BridgeSettings(port=0, grpc_port=0))
    await instance.server.start()
    yield instance
    await instance.server.stop(grace=1)


def _router(engine: Engine, rule: str, recorder: CallRecorder) -> RoutedTransport:
    flags = FlagSet(services={"workflow_engine": Rule.parse(rule)})
    return RoutedTransport(
        Decider(lambda: flags),
        {P.GRPC: GrpcTransport(engine.server.grpc_address),
         P.HTTP: HttpTransport(engine.server.http_url)},
        capture=recorder,
    )  # fmt: skip


WORKFLOW = m.CreateWorkflowRequest.model_validate(
    {"user_id": "alice", "name": "Ping", "nodes": [
        {"id": "start", "name": "Start", "type": "TRIGGER", "subtype": "MANUAL",
         "position": {"x": 0, "y": 0}, "credentials": {"api": "cred-secret-1"},
         "notes": {"curl": "curl -H 'authorization: Bearer tok-12345' ..."}}]}
)  # fmt: skip


async def test_calls_through_the_router_are_recorded_redacted_with_protocol_and_errors(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "corpus.jsonl"
    recorder = CallRecorder(path, flush_seconds=3600)  # flushed by hand below
    router = _router(engine, "http", recorder)
    client = WorkflowClient(router)
    alice = CallOptions(user_id="alice", idempotency_key="k-1")
    created = await client.create_workflow(WORKFLOW, alice)
    with pytest.raises(NotFound):
        await client.get_workflow(
            m.GetWorkflowRequest(workflow_id=created.workflow.id, user_id="bob"),
            CallOptions(user_id="bob"),
        )
    assert not path.exists(), "nothing is written on the request path"
    await recorder.flush()
    [create, denied] = read_corpus(path)
    assert create.method == "CreateWorkflow" and create.protocol == "http"
    assert create.service == "contract.engine.v1.WorkflowService"
    assert create.user_id == "alice" and create.idempotency_key == "k-1"
    assert create.request["nodes"][0]["credentials"] == {"api": REDACTED}
    assert create.response is not None
    assert create.response["workflow"]["nodes"][0]["credentials"] == {"api": REDACTED}
    assert create.response["workflow"]["id"] == created.workflow.id
    assert "cred-secret-1" not in path.read_text()
    assert "tok-12345" not in path.read_text(), "a bearer token inside any string"
    assert create.request["nodes"][0]["notes"]["curl"] == f"curl -H 'authorization: {REDACTED}' ..."
    assert denied.error is not None and denied.error.code == "NOT_FOUND"
    assert denied.response is None and denied.user_id == "bob" and denied.seq == 1
    assert denied.at_ms >= create.at_ms and denied.latency_ms > 0
    await recorder.aclose()
    await router.aclose()


async def test_fall_over_is_recorded_once_with_the_protocol_that_answered(
    engine: Engine, tmp_path: Path
) -> None:
    from bridge.admin.models import Protocol as Listener

    path = tmp_path / "corpus.jsonl"
    recorder = CallRecorder(path, flush_seconds=0.05)
    router = _router(engine, "http", recorder)
    await engine.server.set_listener(Listener.HTTP, False)
    listed = await WorkflowClient(router, attempts=1).list_workflows(
        m.ListWorkflowsRequest(user_id="alice"), CallOptions(user_id="alice")
    )
    assert listed.total_count == 0
    await recorder.aclose()  # flushes what is queued
    [record] = read_corpus(path)
    assert record.protocol == "grpc" and record.method == "ListWorkflows"
    await router.aclose()


async def test_sampling_and_the_bounded_queue(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    draws = iter([0.1, 0.9, 0.2, 0.95, 0.3])
    recorder = CallRecorder(path, sample_rate=0.5, draw=lambda: next(draws), flush_seconds=3600)
    router = _router(engine, "grpc", recorder)
    client = WorkflowClient(router)
    for _ in range(5):
        await client.list_workflows(m.ListWorkflowsRequest(user_id="u"), CallOptions(user_id="u"))
    await recorder.flush()
    assert len(read_corpus(path)) == 3  # the draws under 0.5
    full = CallRecorder(tmp_path / "other.jsonl", max_pending=2, flush_seconds=3600)
    router.capture = full
    for _ in range(4):
        await client.list_workflows(m.ListWorkflowsRequest(user_id="u"), CallOptions(user_id="u"))
    assert full.dropped == 2
    await full.aclose()
    lines = (tmp_path / "other.jsonl").read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [0, 1]
    await recorder.aclose()
    await router.aclose()


async def test_a_finished_stream_is_recorded_with_its_messages_an_abandoned_one_is_not(
    tmp_path: Path,
) -> None:
    from contextlib import aclosing

    from gateway.clients import ConversationClient
    from services.agent.app import Agent
    from services.agent.offline import solvers
    from services.llm import OfflineProvider

    agent = Agent(
        bridge_settings=BridgeSettings(port=0, grpc_port=0), provider=OfflineProvider(solvers())
    )
    await agent.server.start()
    recorder = CallRecorder(tmp_path / "c.jsonl")
    transport = GrpcTransport(agent.server.grpc_address)
    flags = FlagSet(default=Rule.parse("grpc"))
    router = RoutedTransport(
        Decider(lambda: flags), {P.GRPC: transport, P.HTTP: transport}, capture=recorder
    )
    client = ConversationClient(router)
    turn = m.ProcessConversationRequest(session_id="s", user_message="Wait 3 seconds", user_id="u1")
    try:
        events = [e async for e in client.process_conversation(turn, CallOptions(user_id="u1"))]
        async with aclosing(client.process_conversation(turn, CallOptions(user_id="u1"))) as stream:
            await anext(stream)  # the caller goes away after the first event
        await recorder.aclose()
    finally:
        await transport.aclose()
        await agent.server.stop(grace=0)
    (record,) = read_corpus(tmp_path / "c.jsonl")
    assert record.method == "ProcessConversation" and record.protocol == "grpc"
    assert record.response == {"messages": [e.model_dump(mode="json") for e in events]}
