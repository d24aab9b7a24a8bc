"""The agent's streamed conversation for real: an agent server on loopback, a turn on
each protocol (stock grpc.aio stub and SSE over httpx), and Redis checkpoints."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import grpc
import httpx
import pytest
from redis.asyncio import Redis

from bridge import sse
from bridge.settings import BridgeSettings
from contract import models as m
from contract.agent.v1 import agent_pb2, agent_pb2_grpc
from contract.binding import converter
from services.agent.app import Agent
from services.agent.conversation import read_turn
from services.agent.offline import solvers
from services.agent.settings import AgentSettings
from services.llm import OfflineProvider
from tests.conftest import require_service

Kind = m.ConversationEventKind
FIRST = "When a webhook arrives, call an API and notify Slack if the status is error"
ANSWER = "api_url: https://api.example.com/status and the slack hook is https://hooks.slack.com/services/T/B/X"


@pytest.fixture
async def agent() -> AsyncIterator[Agent]:
    agent = Agent(
        bridge_settings=BridgeSettings(port=0, grpc_port=0), provider=OfflineProvider(solvers())
    )
    await agent.server.start()
    yield agent
    await agent.server.stop(grace=0)


async def grpc_turn(
    agent: Agent, request: m.ProcessConversationRequest
) -> list[m.ProcessConversationResponse]:
    proto = converter().to_proto(request, agent_pb2.ProcessConversationRequest)
    async with grpc.aio.insecure_channel(agent.server.grpc_address) as channel:
        stub = agent_pb2_grpc.ConversationServiceStub(channel)
        return [converter().from_proto(event, m.ProcessConversationResponse)
                async for event in stub.ProcessConversation(proto)]  # fmt: skip


async def http_turn(
    agent: Agent, request: m.ProcessConversationRequest
) -> list[m.ProcessConversationResponse]:
    body = request.model_dump(mode="json", exclude={"session_id"}, exclude_none=True)
    events, names = [], []
    async with (
        httpx.AsyncClient(base_url=agent.server.http_url) as http,
        http.stream("POST", f"/v1/conversations/{request.session_id}/turns", json=body) as reply,
    ):
        assert reply.status_code == 200 and reply.headers["content-type"].startswith(
            "text/event-stream"
        )
        parser = sse.EventParser()
        async for chunk in reply.aiter_bytes():
            for event in parser.feed(chunk):
                if event.event not in {sse.END, sse.ERROR}:
                    names.append(event.event)
                    events.append(m.ProcessConversationResponse.model_validate_json(event.data))
    assert names == [e.kind.value.lower() for e in events]  # `event:` names the kind
    return events


def test_answers_fill_the_questions_asked() -> None:
    state = {"description": FIRST, "context": {}, "pending": ["api_url", "slack_webhook_url"]}
    description, context = read_turn(state, ANSWER)
    assert description == FIRST
    assert context == {"api_url": "https://api.example.com/status",
                       "slack_webhook_url": "https://hooks.slack.com/services/T/B/X"}  # fmt: skip
    # No answer to a question: the message adds to the request instead.
    more, _ = read_turn(
        {"description": "Every hour", "pending": ["steps"]}, "fetch https://x.test/a"
    )
    assert more == "Every hour fetch https://x.test/a"


async def test_two_turns_ask_then_deliver_the_workflow_identically_on_both_protocols(
    agent: Agent,
) -> None:
    first = m.ProcessConversationRequest(session_id="s1", user_message=FIRST, user_id="alice")
    turns = {"grpc": await grpc_turn(agent, first), "http": await http_turn(agent, first)}
    assert turns["grpc"] == turns["http"]
    events = turns["grpc"]
    assert [e.sequence for e in events] == list(range(len(events)))
    kinds = [e.kind for e in events]
    assert kinds[0] is Kind.STATUS and kinds[-1] is Kind.STATE
    assert [e.stage for e in events if e.kind is Kind.STATUS] == [
        "understanding", "detect_missing", "plan", "build", "validate"]  # fmt: skip
    question = next(e for e in events if e.kind is Kind.MESSAGE)
    assert [q.split(":")[0] for q in question.missing_info] == ["api_url", "slack_webhook_url"]
    assert Kind.WORKFLOW not in kinds
    state = events[-1].state
    assert state is not None and state["pending"] == ["api_url", "slack_webhook_url"]

    second = m.ProcessConversationRequest(
        session_id="s1", user_message=ANSWER, user_id="alice", state=state
    )
    turns = {"grpc": await grpc_turn(agent, second), "http": await http_turn(agent, second)}
    assert turns["grpc"] == turns["http"]
    workflow = next(e.workflow for e in turns["http"] if e.kind is Kind.WORKFLOW)
    assert workflow is not None
    urls = [n.parameters.get("url") for n in workflow.nodes if n.type == "HTTP_REQUEST"]
    assert urls == ["https://api.example.com/status", "https://hooks.slack.com/services/T/B/X"]
    final = turns["http"][-1].state
    assert final is not None and final["done"] is True


async def test_bad_turn_is_an_ordinary_error_before_any_event(agent: Agent) -> None:
    async with httpx.AsyncClient(base_url=agent.server.http_url) as http:
        reply = await http.post(
            "/v1/conversations/s1/turns", json={"user_message": " ", "user_id": "u"}
        )
    assert reply.status_code == 400
    assert reply.json()["error"]["details"][0]["field"] == "user_message"
    async with grpc.aio.insecure_channel(agent.server.grpc_address) as channel:
        stub = agent_pb2_grpc.ConversationServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            async for _ in stub.ProcessConversation(
                agent_pb2.ProcessConversationRequest(session_id="s1", user_message=" ", user_id="u")
            ):
                pass
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "user_message" in (caught.value.details() or "")


@pytest.mark.redis
async def test_with_redis_the_server_checkpoints_the_state() -> None:
    require_service("Redis", "127.0.0.1", 6379)
    url = "redis://127.0.0.1:6379/5"
    agent = Agent(AgentSettings(redis_url=url, agent_conversation_ttl_seconds=60),
                  BridgeSettings(port=0, grpc_port=0), provider=OfflineProvider(solvers()))  # fmt: skip
    await agent.server.start()
    session = f"s-{uuid.uuid4().hex[:8]}"
    try:
        await http_turn(
            agent,
            m.ProcessConversationRequest(session_id=session, user_message=FIRST, user_id="bob"),
        )
        # The second turn sends no state: the checkpoint supplies it.
        events = await grpc_turn(
            agent,
            m.ProcessConversationRequest(session_id=session, user_message=ANSWER, user_id="bob"),
        )
        assert any(e.kind is Kind.WORKFLOW for e in events)
        redis = Redis.from_url(url)
        key = f"flowbridge:agent:conv:bob:{session}"
        saved = json.loads(await redis.get(key))
        assert saved["done"] is True and 0 < await redis.ttl(key) <= 60
        await redis.delete(key)
        await redis.aclose()
    finally:
        await agent.server.stop(grace=0)
