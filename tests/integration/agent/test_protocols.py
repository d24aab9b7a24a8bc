"""The agent on both protocols: the same answers over gRPC and HTTP (the offline provider is
deterministic), and bad input refused the same way on both, never with a 500."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2

from bench.fixtures import load_workflow
from contract import models as m
from contract.agent.v1 import agent_pb2
from contract.binding import converter
from contract.workflow.v1 import workflow_pb2
from tests.integration.agent.conftest import AgentClients

conv = converter()

API = "https://api.example.com/v1/orders"
SLACK = "https://hooks.slack.com/services/T000/B000/XXXX"
DESCRIPTIONS: list[tuple[str, dict[str, str]]] = [
    ("When a webhook arrives, call an API and notify Slack if the status is error",
     {"api_url": API, "slack_webhook_url": SLACK}),
    ("Every morning at 9 fetch https://news.example.com/today and summarize with AI", {}),
    ("Run cron 30 6 * * 1-5 in America/New_York: fetch https://x.example.com/a then post it "
     "to Slack", {"slack_webhook_url": SLACK}),
    ("Fetch https://x.example.com/items, remove duplicates and store them",
     {"storage_api_url": "https://x.example.com/store"}),
    ("Every night delete old files via https://files.example.com/old", {}),
    ("Fetch https://x.example.com/a, wait 5 minutes and then call https://x.example.com/b", {}),
    ("Fetch https://shop.example.com/orders and if the total is over 100 send an email to "
     "boss@example.com", {"email_api_url": "https://mail.example.com/send"}),
    ("Fetch https://x.example.com/s. If the status is ok notify Slack, otherwise send an email "
     "to ops@example.com",
     {"slack_webhook_url": SLACK, "email_api_url": "https://mail.example.com/send"}),
    ("Summarize the input with AI", {}),
    ("When an order is placed, if the amount is greater than 50 notify Slack", {}),
    ("drop table users", {}),
    ("Every Monday at 8 am fetch https://x.example.com/stats and send the weekly report to Slack",
     {}),
]  # fmt: skip
"""Some succeed, some ask for missing values; both kinds must be identical on both protocols."""


async def _generate_both(
    agent: AgentClients, description: str, context: dict[str, str]
) -> tuple[m.GenerateWorkflowResponse, m.GenerateWorkflowResponse]:
    body = {"description": description, "context": context}
    over_http = await agent.http.post("/v1/workflows/generate", json=body)
    assert over_http.status_code == 200, over_http.text
    request = conv.to_proto(m.GenerateWorkflowRequest.model_validate(body),
                            agent_pb2.GenerateWorkflowRequest)  # fmt: skip
    over_grpc = await agent.stub.GenerateWorkflow(request)
    return (
        m.GenerateWorkflowResponse.model_validate(over_http.json()),
        conv.from_proto(over_grpc, m.GenerateWorkflowResponse),
    )


@pytest.mark.parametrize(("description", "context"), DESCRIPTIONS)
async def test_generate_is_identical_on_both_protocols(
    agent: AgentClients, description: str, context: dict[str, str]
) -> None:
    over_http, over_grpc = await _generate_both(agent, description, context)
    assert over_http == over_grpc
    assert over_http.workflow is not None and over_http.workflow.nodes[0].type == "TRIGGER"
    # Either a runnable workflow, or questions; never a silent guess.
    assert over_http.success == (not over_http.missing_info and not over_http.errors)


async def test_success_and_questions_both_occur(agent: AgentClients) -> None:
    ok, _ = await _generate_both(agent, *DESCRIPTIONS[0])
    asks, _ = await _generate_both(agent, *DESCRIPTIONS[9])
    assert ok.success and ok.confidence_score > 0.5
    assert not asks.success
    assert [line.split(":")[0] for line in asks.missing_info] == ["slack_webhook_url"]


async def test_validate_is_identical_on_both_protocols(agent: AgentClients) -> None:
    broken = load_workflow(20)
    broken["nodes"][3]["type"] = "TELEPORT"
    broken["connections"]["ghost"] = {"main": [{"node": broken["nodes"][1]["id"]}]}
    for data in (load_workflow(20), broken):
        over_http = await agent.http.post("/v1/workflows/validate", json={"workflow_data": data})
        assert over_http.status_code == 200
        struct = struct_pb2.Struct()
        struct.update(data)
        over_grpc = await agent.stub.ValidateWorkflow(
            agent_pb2.ValidateWorkflowRequest(workflow_data=struct)
        )
        a = m.ValidateWorkflowResponse.model_validate(over_http.json())
        b = conv.from_proto(over_grpc, m.ValidateWorkflowResponse)
        assert a == b
    assert not a.valid
    assert any(e.startswith("nodes[3].type: unknown node type 'TELEPORT'") for e in a.errors)
    assert any(e.startswith("connections.ghost:") for e in a.errors)


async def test_refine_is_identical_on_both_protocols(agent: AgentClients) -> None:
    generated, _ = await _generate_both(agent, *DESCRIPTIONS[0])
    assert generated.workflow is not None
    body = {
        "feedback": "add a wait of 5 minutes before the Slack step",
        "original_workflow": generated.workflow.model_dump(mode="json", exclude_none=True),
    }
    over_http = await agent.http.post("/v1/workflows/wf_1/refine", json=body)
    assert over_http.status_code == 200, over_http.text
    request = m.RefineWorkflowRequest.model_validate({**body, "workflow_id": "wf_1"})
    over_grpc = await agent.stub.RefineWorkflow(
        conv.to_proto(request, agent_pb2.RefineWorkflowRequest)
    )
    a = m.RefineWorkflowResponse.model_validate(over_http.json())
    assert a == conv.from_proto(over_grpc, m.RefineWorkflowResponse)
    assert a.success and a.updated_workflow is not None
    assert a.updated_workflow.id == "wf_1"
    assert "Added node 'Wait 5 min' (WAIT, id 'wait_1')" in a.changes
    assert "Connected 'Wait 5 min' -> 'Notify Slack' (main)" in a.changes


BAD_GENERATE: list[tuple[Any, str]] = [
    ("", "description"),
    ("   \n\t ", "description"),
    ("x" * 5001, "description"),
]


@pytest.mark.parametrize(("description", "field"), BAD_GENERATE, ids=["empty", "blank", "long"])
async def test_bad_description_is_invalid_argument_on_both(
    agent: AgentClients, description: str, field: str
) -> None:
    over_http = await agent.http.post("/v1/workflows/generate", json={"description": description})
    assert over_http.status_code == 400
    http_message = over_http.json()["error"]["message"]
    assert field in http_message
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await agent.stub.GenerateWorkflow(
            agent_pb2.GenerateWorkflowRequest(description=description)
        )
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert failure.value.details() == http_message


async def test_description_at_the_limit_is_accepted(agent: AgentClients) -> None:
    text = ("Fetch https://x.example.com/a and wait 5 seconds. " * 200)[:5000]
    over_http = await agent.http.post("/v1/workflows/generate", json={"description": text})
    assert over_http.status_code == 200
    assert over_http.json()["workflow"]["nodes"][0]["type"] == "TRIGGER"


@pytest.mark.parametrize(
    "body",
    [
        {"description": 123},
        {"description": ["a"]},
        {"description": "ok", "context": {"a": {"nested": 1}}},
        {"description": "ok", "context": "not a map"},
        {"description": "ok", "unexpected": True},
        {},
    ],
    ids=["int", "list", "nested-context", "context-string", "unknown-field", "missing"],
)
async def test_wrong_types_are_400_never_500(agent: AgentClients, body: dict[str, Any]) -> None:
    over_http = await agent.http.post("/v1/workflows/generate", json=body)
    assert over_http.status_code == 400, over_http.text
    assert over_http.json()["error"]["message"]


async def test_validate_and_refine_bad_input(agent: AgentClients) -> None:
    not_object = await agent.http.post("/v1/workflows/validate", json={"workflow_data": [1]})
    assert not_object.status_code == 400 and "workflow_data" in not_object.text
    missing = await agent.http.post("/v1/workflows/wf_1/refine", json={"feedback": "rename it"})
    assert missing.status_code == 400 and "original_workflow" in missing.text
    # A broken workflow is judged, not refused.
    judged = await agent.http.post(
        "/v1/workflows/validate", json={"workflow_data": {"nodes": "nope"}}
    )
    assert judged.status_code == 200 and judged.json()["valid"] is False
    # The same request on both protocols: blank feedback is refused naming the field.
    original = load_workflow(20)
    over_http = await agent.http.post(
        "/v1/workflows/wf_1/refine", json={"feedback": " ", "original_workflow": original}
    )
    assert over_http.status_code == 400
    assert "feedback" in over_http.json()["error"]["message"]
    workflow = conv.to_proto(m.Workflow.model_validate(original), workflow_pb2.Workflow)
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await agent.stub.RefineWorkflow(
            agent_pb2.RefineWorkflowRequest(
                workflow_id="wf_1", feedback=" ", original_workflow=workflow
            )
        )
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert failure.value.details() == over_http.json()["error"]["message"]
