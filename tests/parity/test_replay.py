"""Parity replay for real: the committed corpus on both protocols against live servers."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import BaseModel

from bridge.errors import BridgeError, NotFound
from bridge.settings import BridgeSettings
from contract.agent.v1 import agent_pb2
from contract.engine.v1 import engine_pb2
from feature_flags import Transport as Protocol
from gateway.capture import REDACTED, CallRecord, read_corpus
from gateway.clients import CallOptions, HttpTransport, Method, Transport
from gateway.clients._base import methods_of
from services.agent.app import Agent
from services.engine.app import Engine
from services.engine.settings import EngineSettings
from tools.parity.replay import CANDIDATE, CONTROL, Lane, Replay, Targets

HERE = Path(__file__).parent
ENGINE_CORPUS = HERE / "engine.jsonl"
AGENT_CORPUS = HERE / "agent.jsonl"
SERVICES = {
    ENGINE_CORPUS: [engine_pb2.DESCRIPTOR.services_by_name[n] for n in ("WorkflowService", "TriggerService")],
    AGENT_CORPUS: [agent_pb2.DESCRIPTOR.services_by_name[n] for n in ("WorkflowAgent", "ConversationService")],
}  # fmt: skip


@dataclass
class Stack:
    engine: Engine
    agent: Agent

    def targets(self) -> Targets:
        return Targets.of({
            "contract.engine.v1": (self.engine.server.grpc_address, self.engine.server.http_url),
            "contract.agent.v1": (self.agent.server.grpc_address, self.agent.server.http_url),
        })  # fmt: skip


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    ports = BridgeSettings(port=0, grpc_port=0)
    engine = Engine(EngineSettings(data_dir=tmp_path / "db"), ports)
    agent = Agent(bridge_settings=ports)
    await engine.server.start()
    await agent.server.start()
    yield Stack(engine, agent)
    await agent.server.stop(grace=1)
    await engine.server.stop(grace=1)


@pytest.mark.parametrize("corpus", [ENGINE_CORPUS, AGENT_CORPUS], ids=["engine", "agent"])
def test_each_corpus_covers_every_rpc_of_its_services(corpus: Path) -> None:
    records = read_corpus(corpus)
    rpcs = {f"{m.service}/{m.name}" for d in SERVICES[corpus] for m in methods_of(d).values()}
    assert {r.rpc for r in records} == rpcs
    assert {r.rpc for r in records if r.error is None} == rpcs, "every RPC succeeds at least once"
    codes = {r.error.code for r in records if r.error is not None}
    assert "INVALID_ARGUMENT" in codes
    assert any(r.unchecked for r in records), "invalid input a direct caller could send"
    assert {r.protocol for r in records} == {"grpc", "http"}, "captured through both"


def test_the_engine_corpus_has_not_found_permission_and_precondition_cases() -> None:
    records = read_corpus(ENGINE_CORPUS)
    codes = {r.error.code for r in records if r.error is not None}
    assert {"NOT_FOUND", "INVALID_ARGUMENT", "FAILED_PRECONDITION"} <= codes
    # Permission: another user's record answers NOT_FOUND (never PERMISSION_DENIED).
    denied = [r for r in records if r.user_id == "bob" and r.error is not None]
    assert len(denied) >= 4 and {r.error.code for r in denied} == {"NOT_FOUND"}
    text = ENGINE_CORPUS.read_text()
    assert "cred-ping-secret" not in text and REDACTED in text
    # The agent refined the stored workflow: its credentials were redacted there too.
    assert "cred-ping-secret" not in AGENT_CORPUS.read_text()


async def test_the_corpora_replay_with_no_mismatch_and_can_run_again(stack: Stack) -> None:
    records = [*read_corpus(ENGINE_CORPUS), *read_corpus(AGENT_CORPUS)]
    replay = Replay(stack.targets())
    try:
        first = await replay.run(records)
        second = await replay.run(records)  # same stack, fresh namespace: still reproducible
    finally:
        await replay.aclose()
    for report in (first, second):
        assert len(report.outcomes) == len(records)
        assert report.mismatches == 0, json.dumps(report.to_json()["mismatched"], indent=1)
        assert report.drifted == 0, json.dumps(report.to_json()["drift"], indent=1)
    # Not vacuous: the lanes really got the recorded successes (ids mapped) and errors.
    for record, outcome in zip(records, first.outcomes, strict=True):
        expected = "OK" if record.error is None else record.error.code
        assert {a.code for a in outcome.answers.values()} == {expected}, record.note
    # Timestamps were learnt as noise by replaying twice on gRPC, not listed by hand.
    assert (
        "response.workflow.created_at"
        in first.noise["contract.engine.v1.WorkflowService/CreateWorkflow"]
    )
    assert (
        "response.workflows[*].updated_at"
        in first.noise["contract.engine.v1.WorkflowService/ListWorkflows"]
    )
    assert first.run != second.run


class _TamperedHttp(HttpTransport):
    """The real HTTP transport, its answers changed on the way back: the differ must see it."""

    async def call(self, method: Method, request: BaseModel, options: CallOptions) -> BaseModel:
        try:
            reply = await super().call(method, request, options)
        except NotFound as exc:
            if method.name == "GetTrigger":
                raise NotFound(exc.message + " (tampered)") from None
            raise
        if method.name == "GetWorkflow":
            reply = reply.model_copy(deep=True)
            reply.workflow.nodes[1].parameters["expression"] = "{{ $json.n * 3 }}"  # type: ignore[attr-defined]
        return reply


class _TamperedReplay(Replay):
    def make_transport(self, protocol: Protocol, address: str) -> Transport:
        if protocol is Protocol.HTTP:
            return _TamperedHttp(address)
        return super().make_transport(protocol, address)


async def test_a_different_answer_is_reported_with_its_path_and_values(stack: Stack) -> None:
    records = read_corpus(ENGINE_CORPUS)
    replay = _TamperedReplay(stack.targets())
    try:
        report = await replay.run(records)
    finally:
        await replay.aclose()
    bad = {o.method for o in report.outcomes if not o.matched}
    assert bad == {"GetWorkflow", "GetTrigger"}
    methods = {s.rpc.rsplit("/", 1)[1]: s for s in report.methods()}
    workflow = methods["GetWorkflow"]
    assert workflow.mismatches == 1 and workflow.matches == 2  # the two NOT_FOUND reads match
    assert workflow.first is not None
    assert workflow.first.path == "response.workflow.nodes[1].parameters.expression"
    assert (workflow.first.left, workflow.first.right) == ("{{ $json.n * 2 }}", "{{ $json.n * 3 }}")
    trigger = methods["GetTrigger"]
    assert trigger.mismatches == 2 and trigger.first is not None
    assert trigger.first.path == "error.message" and trigger.first.right.endswith("(tampered)")
    data = report.to_json()
    assert data["mismatches"] == 3
    assert data["mismatched"][0]["differences"][0][CONTROL] == "{{ $json.n * 2 }}"
    assert data["mismatched"][0]["differences"][0][CANDIDATE] == "{{ $json.n * 3 }}"


def test_lane_namespaces_and_id_mapping() -> None:
    lane = Lane("http", Protocol.HTTP, "r1", {})
    lane.learn(
        {"workflow": {"id": "wf_old", "name": "x", "nodes": [{"id": "start"}]}},
        {"workflow": {"id": "wf_new", "name": "x", "nodes": [{"id": "start"}]}},
    )
    assert lane.ids == {"wf_old": "wf_new"}, "equal ids (node ids) are not mapped"
    sent = lane.forward({"workflow_id": "wf_old", "user_id": "alice", "name": "wf_old"}, None)
    assert sent == {"workflow_id": "wf_new", "user_id": "alice.r1.http", "name": "wf_old"}
    record = CallRecord(seq=0, at_ms=0, service="s", method="m", user_id="alice",
                        request={"user_id": "alice"}, protocol="http", latency_ms=0)  # fmt: skip
    back = lane.backward({"error": {"message": "workflow 'wf_new' of alice.r1.http"}}, record)
    assert back == {"error": {"message": "workflow 'wf_old' of alice"}}


async def test_cli_replays_against_running_servers(stack: Stack, tmp_path: Path) -> None:
    async def cli(*args: str) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bridge.cli", "parity", "replay", *args,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await proc.communicate()
        assert proc.returncode is not None
        return proc.returncode, (out + err).decode() if proc.returncode else out.decode()

    urls = [
        "--engine-url", stack.engine.server.http_url, "--engine-grpc", stack.engine.server.grpc_address,
        "--agent-url", stack.agent.server.http_url, "--agent-grpc", stack.agent.server.grpc_address,
    ]  # fmt: skip
    code, out = await cli(str(ENGINE_CORPUS), str(AGENT_CORPUS), *urls, "--json", "--strict")
    assert code == 0, out
    summary = json.loads(out.strip().splitlines()[-1])
    total = len(read_corpus(ENGINE_CORPUS)) + len(read_corpus(AGENT_CORPUS))
    assert summary["calls"] == total and summary["mismatches"] == 0 and summary["drifted"] == 0
    assert {m["rpc"].rsplit("/", 1)[1] for m in summary["methods"]} >= {
        "GenerateWorkflow",
        "FireWebhook",
    }
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"not": "a record"}\n')
    code, out = await cli(str(broken), *urls)
    assert code == 2 and "not a corpus record" in out


def test_bridge_errors_keep_their_code_in_the_corpus_format() -> None:
    from gateway.capture import error_of

    error = error_of(NotFound("workflow 'x' not found"))
    assert error.code == "NOT_FOUND" and error.message == "workflow 'x' not found"
    assert isinstance(NotFound("x"), BridgeError)
