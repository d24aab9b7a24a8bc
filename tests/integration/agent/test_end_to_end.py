"""Generate (offline) -> validate -> create in a real engine -> execute -> SUCCESS, for a
set of different descriptions; the APIs they call are a real server on loopback, which
must have received the calls."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from contract import models as m
from tests.integration.agent.conftest import AgentClients, EngineClients, Upstream

USER = "e2e-user"


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    description: str
    """``{base}`` is the upstream server's URL."""
    check: Callable[[Upstream, m.Execution], None]
    context: dict[str, str] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)
    trigger_data: dict[str, Any] = field(default_factory=dict)
    skipped: frozenset[str] = frozenset()
    """Node ids the run must skip (the branch not taken)."""


def _slack_text(up: Upstream) -> str:
    (call,) = up.to("/slack")
    assert call.method == "POST"
    return str(call.body["text"])


def _webhook_error(up: Upstream, ex: m.Execution) -> None:
    assert [r.method for r in up.to("/api")] == ["GET"]
    assert "boom" in _slack_text(up)


def _news(up: Upstream, ex: m.Execution) -> None:
    assert len(up.to("/news")) == 1
    text = ex.run_data["ai_1"].output["ai"]["text"]
    assert text.startswith("[offline model") and "headline" in text


def _cron_slack(up: Upstream, ex: m.Execution) -> None:
    assert len(up.to("/x")) == 1 and "sunny" in _slack_text(up)


def _dedupe(up: Upstream, ex: m.Execution) -> None:
    (stored,) = up.to("/store")
    assert stored.method == "POST" and stored.body["body"] == [1, 2, 3]


def _delete(up: Upstream, ex: m.Execution) -> None:
    assert [r.method for r in up.to("/files")] == ["DELETE"]


def _wait(up: Upstream, ex: m.Execution) -> None:
    first, second = ex.run_data["http_1"], ex.run_data["http_2"]
    assert len(up.to("/a")) == len(up.to("/b")) == 1
    assert first.finished_at is not None and second.started_at is not None
    assert second.started_at - first.finished_at >= 900  # waited ~1 s


def _email_over(up: Upstream, ex: m.Execution) -> None:
    (mail,) = up.to("/mail")
    assert mail.body["to"] == "boss@example.com" and "150" in mail.body["text"]


def _otherwise(up: Upstream, ex: m.Execution) -> None:
    assert up.to("/slack") == []
    (mail,) = up.to("/mail")
    assert mail.body["to"] == "ops@example.com"


def _ai_only(up: Upstream, ex: m.Execution) -> None:
    assert up.received == []
    assert "quarterly" in ex.run_data["ai_1"].output["ai"]["text"]


def _webhook_amount(up: Upstream, ex: m.Execution) -> None:
    assert "80" in _slack_text(up)


def _health(up: Upstream, ex: m.Execution) -> None:
    assert len(up.to("/health")) == 1 and up.to("/slack") == []


def _extract(up: Upstream, ex: m.Execution) -> None:
    assert ex.run_data["transform_1"].output["email"] == "a@b.example"
    (posted,) = up.to("/sink")
    assert posted.body["email"] == "a@b.example"


SLACK = {"slack_webhook_url": "{base}/slack"}
MAIL = {"email_api_url": "{base}/mail"}

CASES = [
    Case(
        "webhook-api-slack-on-error",
        "When a webhook arrives, call an API and notify Slack if the status is error",
        _webhook_error,
        context={"api_url": "{base}/api", **SLACK},
        answers={"/api": {"status": "error", "detail": "boom"}},
    ),
    Case(
        "morning-fetch-summarize",
        "Every morning at 9 fetch {base}/news and summarize with AI",
        _news,
        answers={"/news": {"items": ["headline one", "headline two"]}},
    ),
    Case(
        "cron-timezone-slack",
        "Run cron 0 8 * * 1-5 in Europe/Paris: fetch {base}/x then post it to Slack",
        _cron_slack,
        context=SLACK,
        answers={"/x": {"weather": "sunny"}},
    ),
    Case(
        "remove-duplicates",
        "Fetch {base}/items, remove duplicates and store them",
        _dedupe,
        context={"storage_api_url": "{base}/store"},
        answers={"/items": [1, 2, 2, 3, 1]},
    ),
    Case("delete-old-files", "Every night delete old files via {base}/files", _delete),
    Case(
        "wait",
        "Fetch {base}/a, wait 1 second and then call {base}/b",
        _wait,
    ),
    Case(
        "number-condition-email",
        "Fetch {base}/orders and if the total is over 100 send an email to boss@example.com",
        _email_over,
        context=MAIL,
        answers={"/orders": {"total": 150}},
    ),
    Case(
        "otherwise-branch",
        "Fetch {base}/s. If the status is ok notify Slack, otherwise send an email to "
        "ops@example.com",
        _otherwise,
        context={**SLACK, **MAIL},
        answers={"/s": {"status": "down"}},
        skipped=frozenset({"slack_1"}),
    ),
    Case(
        "manual-ai",
        "Summarize the input with AI",
        _ai_only,
        trigger_data={"report": "quarterly numbers are up"},
    ),
    Case(
        "webhook-amount-slack",
        "When an order is placed, if the amount is greater than 50 notify Slack",
        _webhook_amount,
        context=SLACK,
        trigger_data={"amount": 80},
    ),
    Case(
        "status-code-alert",
        "Every 5 minutes check {base}/health and alert Slack if the status code is not 200",
        _health,
        context=SLACK,
        skipped=frozenset({"slack_1"}),
    ),
    Case(
        "extract-and-post",
        "Fetch {base}/users, extract the email and post it to {base}/sink",
        _extract,
        answers={"/users": {"email": "a@b.example", "name": "A"}},
    ),
]


def _fill(text: str, base: str) -> str:
    return text.replace("{base}", base)


async def _wait_final(engine: EngineClients, execution_id: str) -> m.Execution:
    final = {m.ExecutionStatus.SUCCESS, m.ExecutionStatus.ERROR,
             m.ExecutionStatus.CANCELED, m.ExecutionStatus.TIMED_OUT}  # fmt: skip
    for _ in range(500):
        reply = await engine.http.get(f"/v1/executions/{execution_id}", params={"user_id": USER})
        execution = m.GetExecutionResponse.model_validate(reply.json()).execution
        if execution.status in final:
            return execution
        await asyncio.sleep(0.02)
    raise AssertionError("execution did not finish")


_CREATE_FIELDS = set(m.CreateWorkflowRequest.model_fields) - {"user_id"}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_generated_workflow_runs_in_the_engine(
    case: Case, agent: AgentClients, engine: EngineClients, upstream: Upstream
) -> None:
    upstream.answers.update(case.answers)
    request = {
        "description": _fill(case.description, upstream.base_url),
        "context": {k: _fill(v, upstream.base_url) for k, v in case.context.items()},
    }
    generated = await agent.http.post("/v1/workflows/generate", json=request)
    assert generated.status_code == 200, generated.text
    answer = m.GenerateWorkflowResponse.model_validate(generated.json())
    assert answer.success, answer
    assert answer.missing_info == [] and answer.errors == []
    assert answer.workflow is not None
    workflow = answer.workflow.model_dump(mode="json", exclude_none=True)

    validated = await agent.http.post("/v1/workflows/validate", json={"workflow_data": workflow})
    assert validated.status_code == 200
    assert validated.json()["valid"] is True, validated.json()

    create = {k: v for k, v in workflow.items() if k in _CREATE_FIELDS}
    created = await engine.http.post("/v1/workflows", json={"user_id": USER, **create})
    assert created.status_code == 201, created.text
    workflow_id = created.json()["workflow"]["id"]
    started = await engine.http.post(
        f"/v1/workflows/{workflow_id}/execute",
        json={"user_id": USER, "trigger_data": case.trigger_data},
    )
    assert started.status_code == 202, started.text
    execution = await _wait_final(engine, started.json()["execution_id"])

    assert execution.status is m.ExecutionStatus.SUCCESS, execution.error
    node_ids = {node.id for node in answer.workflow.nodes}
    assert set(execution.run_data) == node_ids
    for node_id, run in execution.run_data.items():
        expected = m.NodeRunStatus.SKIPPED if node_id in case.skipped else m.NodeRunStatus.SUCCESS
        assert run.status is expected, (node_id, run)
    case.check(upstream, execution)
