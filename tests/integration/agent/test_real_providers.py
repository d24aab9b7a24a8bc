"""The agent with the real OpenAI and Anthropic providers (official SDKs) pointed at the
fake servers on loopback: the model's draft becomes the workflow, malformed answers go
through repair, and provider failures are ``success=false`` on both protocols."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from contract import models as m
from contract.agent.v1 import agent_pb2
from contract.binding import converter
from services.agent import tasks
from services.llm import AnthropicProvider, LLMProvider, OpenAIProvider
from tests.fakes.llm_servers import FakeAnthropicServer, FakeLLMServer, FakeOpenAIServer
from tests.integration.agent.conftest import AgentClients, clients_for, start_agent

conv = converter()
TIMEOUT = 0.5
DESCRIPTION = "Every hour fetch https://status.example.com/api and summarize it with AI"

GOOD: dict[str, Any] = {
    "name": "Hourly status digest",
    "nodes": [
        {"id": "start", "name": "Every hour", "type": "TRIGGER", "subtype": "CRON",
         "parameters": {"cron": "0 * * * *"}},
        {"id": "fetch", "name": "Fetch status", "type": "http_request",
         "parameters": {"url": "https://status.example.com/api", "method": "GET"}},
        {"id": "digest", "name": "Digest", "type": "AI",
         "parameters": {"prompt": "Summarize: {{ $json.body }}"}},
    ],
    "connections": [{"source": "start", "target": "fetch"},
                    {"source": "fetch", "target": "digest"}],
    "confidence": 0.8,
}  # fmt: skip
UNKNOWN_TYPE = {
    **GOOD,
    "nodes": [*GOOD["nodes"][:2], {**GOOD["nodes"][2], "type": "CHATGPT_MAGIC"}],
}


@pytest.fixture(params=["openai", "anthropic"])
async def served(
    request: pytest.FixtureRequest,
    fake_openai: FakeOpenAIServer,
    fake_anthropic: FakeAnthropicServer,
) -> AsyncIterator[tuple[AgentClients, FakeLLMServer]]:
    provider: LLMProvider
    fake: FakeLLMServer
    if request.param == "openai":
        fake = fake_openai
        provider = OpenAIProvider(
            api_key="sk-test", base_url=fake.base_url, timeout=TIMEOUT, max_retries=0
        )
    else:
        fake = fake_anthropic
        provider = AnthropicProvider(
            api_key="sk-ant-test", base_url=fake.base_url, timeout=TIMEOUT, max_retries=0
        )
    async for clients in clients_for(await start_agent(provider, rounds=2)):
        yield clients, fake


async def _both(agent: AgentClients, body: dict[str, Any]) -> list[m.GenerateWorkflowResponse]:
    over_http = await agent.http.post("/v1/workflows/generate", json=body)
    assert over_http.status_code == 200, over_http.text
    request = conv.to_proto(
        m.GenerateWorkflowRequest.model_validate(body), agent_pb2.GenerateWorkflowRequest
    )
    over_grpc = await agent.stub.GenerateWorkflow(request)
    return [
        m.GenerateWorkflowResponse.model_validate(over_http.json()),
        conv.from_proto(over_grpc, m.GenerateWorkflowResponse),
    ]


async def test_the_models_draft_becomes_the_workflow(
    served: tuple[AgentClients, FakeLLMServer],
) -> None:
    agent, fake = served
    fake.reply_json(GOOD, times=2)
    answers = await _both(agent, {"description": DESCRIPTION})
    assert answers[0] == answers[1]
    answer = answers[0]
    assert answer.success, answer
    assert answer.workflow is not None
    assert [(n.id, n.type) for n in answer.workflow.nodes] == [
        ("start", "TRIGGER"), ("fetch", "HTTP_REQUEST"), ("digest", "AI"),
    ]  # fmt: skip
    assert answer.workflow.nodes[1].parameters["url"] == "https://status.example.com/api"
    assert answer.confidence_score == 0.8
    sent = fake.requests[-1].body
    text = str(sent)
    assert DESCRIPTION in text and "HTTP_REQUEST" in text  # the prompt and the catalog
    tool_or_format = sent.get("response_format") or sent.get("tool_choice")
    assert tool_or_format is not None and tasks.DRAFT in str(tool_or_format)


@pytest.mark.parametrize("first", ["not-json", "unknown-type", "cycle", "wrong-shape"])
async def test_a_malformed_answer_goes_through_repair(
    served: tuple[AgentClients, FakeLLMServer], first: str
) -> None:
    agent, fake = served
    if first == "not-json":
        if isinstance(fake, FakeOpenAIServer):
            fake.reply_content("Sure! Here is your workflow: {nodes: ...")
        else:
            fake.reply_text("Sure! Here is your workflow.")  # no tool call at all
    elif first == "unknown-type":
        fake.reply_json(UNKNOWN_TYPE)
    elif first == "cycle":
        cyclic = {**GOOD, "connections": [*GOOD["connections"],
                                          {"source": "digest", "target": "fetch"}]}  # fmt: skip
        fake.reply_json(cyclic)
    else:
        fake.reply_json({"title": "no nodes here", "steps": ["a", "b"]})
    fake.reply_json(GOOD)
    over_http = await agent.http.post("/v1/workflows/generate", json={"description": DESCRIPTION})
    answer = m.GenerateWorkflowResponse.model_validate(over_http.json())
    assert answer.success, answer
    assert answer.workflow is not None and [n.id for n in answer.workflow.nodes] == [
        "start", "fetch", "digest",
    ]  # fmt: skip
    assert "The draft needed 1 repair round(s)." in answer.suggestions
    assert len(fake.requests) == 2
    # The repair request tells the model what was wrong.
    repair_prompt = str(fake.requests[1].body)
    assert "fails validation" in repair_prompt
    if first == "unknown-type":
        assert "CHATGPT_MAGIC" in repair_prompt
    if first == "cycle":
        assert "cycle" in repair_prompt


async def test_a_model_that_never_fixes_it_is_success_false(
    served: tuple[AgentClients, FakeLLMServer],
) -> None:
    agent, fake = served
    fake.reply_json(UNKNOWN_TYPE, times=3)  # the first answer and two repair rounds
    over_http = await agent.http.post("/v1/workflows/generate", json={"description": DESCRIPTION})
    assert over_http.status_code == 200
    answer = m.GenerateWorkflowResponse.model_validate(over_http.json())
    assert not answer.success
    assert any("unknown node type 'CHATGPT_MAGIC'" in e for e in answer.errors)
    assert fake.pending == 0 and len(fake.requests) == 3


@pytest.mark.parametrize("failure", ["error-status", "timeout", "malformed-body"])
async def test_provider_failures_are_success_false_on_both_protocols(
    served: tuple[AgentClients, FakeLLMServer], failure: str
) -> None:
    agent, fake = served
    for _ in range(2):  # one call per protocol
        if failure == "error-status":
            fake.reply_error(503, "the model is overloaded")
        elif failure == "timeout":
            fake.reply_delay(TIMEOUT * 4)
        else:  # an output problem: asked again in each repair round, then given up
            fake.reply_raw("<html>502 Bad Gateway</html>", status=200, times=3)
    answers = await _both(agent, {"description": DESCRIPTION})
    assert answers[0] == answers[1]
    answer = answers[0]
    assert not answer.success and answer.workflow is None
    assert answer.confidence_score == 0.0
    (error,) = answer.errors
    assert error.startswith(("provider failed: ", "provider output: ")), error
    assert error.split(": ", 2)[1] == agent.agent.provider.name
    if failure == "error-status":
        assert "503" in error or "overloaded" in error
    if failure == "timeout":
        assert "tim" in error.lower()
    if failure == "malformed-body":
        assert error.startswith("provider output: ") and fake.pending == 0
    else:  # a provider failure is not retried by the repair loop
        assert error.startswith("provider failed: ") and len(fake.requests) == 2
