"""The offline drafter: descriptions -> trigger, node types in order, edges; critical values
asked for (never invented) and filled from ``context``; ordinary words never rejected."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from pydantic import ValidationError

from contract import models as m
from services.agent.graph import AgentGraph
from services.agent.offline import draft_from_description, solvers
from services.agent.understanding import parse_condition, understand
from services.llm import OfflineProvider

SLACK = "https://hooks.slack.com/services/T1/B1/abc"
API = "https://api.example.com/v1/check"


@dataclass(frozen=True, slots=True)
class Row:
    description: str
    trigger: tuple[str, str | None]
    """(subtype, cron)."""
    types: list[str]
    edges: list[tuple[str, str, str]]
    context: dict[str, str] = field(default_factory=dict)
    timezone: str | None = None


ROWS = [
    Row("When a webhook arrives, call an API and notify Slack if the status is error",
        ("WEBHOOK", None), ["TRIGGER", "HTTP_REQUEST", "CONDITION", "HTTP_REQUEST"],
        [("trigger", "http_1", "main"), ("http_1", "condition_1", "main"),
         ("condition_1", "slack_1", "true")],
        context={"api_url": API, "slack_webhook_url": SLACK}),
    Row("Every morning at 9 fetch https://news.example.com/today and summarize with AI",
        ("CRON", "0 9 * * *"), ["TRIGGER", "HTTP_REQUEST", "AI"],
        [("trigger", "http_1", "main"), ("http_1", "ai_1", "main")]),
    Row("Use cron 15 7 * * 1-5 in Europe/Berlin to fetch https://x.example.com/report",
        ("CRON", "15 7 * * 1-5"), ["TRIGGER", "HTTP_REQUEST"], [("trigger", "http_1", "main")],
        timezone="Europe/Berlin"),
    Row("Every day at 6 pm in America/New_York notify Slack",
        ("CRON", "0 18 * * *"), ["TRIGGER", "HTTP_REQUEST"], [("trigger", "slack_1", "main")],
        context={"slack_webhook_url": SLACK}, timezone="America/New_York"),
    Row("Fetch https://crm.example.com/contacts, remove duplicates and store them",
        ("MANUAL", None), ["TRIGGER", "HTTP_REQUEST", "TRANSFORM", "HTTP_REQUEST"],
        [("trigger", "http_1", "main"), ("http_1", "transform_1", "main"),
         ("transform_1", "http_2", "main")],
        context={"storage_api_url": "https://db.example.com/rows"}),
    Row("Every night delete old files via https://files.example.com/old",
        ("CRON", "0 22 * * *"), ["TRIGGER", "HTTP_REQUEST"], [("trigger", "http_1", "main")]),
    Row("Call https://x.example.com/a, wait 5 minutes, then call https://x.example.com/b",
        ("MANUAL", None), ["TRIGGER", "HTTP_REQUEST", "WAIT", "HTTP_REQUEST"],
        [("trigger", "http_1", "main"), ("http_1", "wait_1", "main"),
         ("wait_1", "http_2", "main")]),
    Row("Fetch https://shop.example.com/orders and if the total is over 100 send an email to "
        "boss@example.com", ("MANUAL", None),
        ["TRIGGER", "HTTP_REQUEST", "CONDITION", "HTTP_REQUEST"],
        [("trigger", "http_1", "main"), ("http_1", "condition_1", "main"),
         ("condition_1", "http_2", "true")],
        context={"email_api_url": "https://mail.example.com/send"}),
    Row("Fetch https://x.example.com/s. If the status is ok notify Slack, otherwise send an "
        "email to ops@example.com", ("MANUAL", None),
        ["TRIGGER", "HTTP_REQUEST", "CONDITION", "HTTP_REQUEST", "HTTP_REQUEST"],
        [("trigger", "http_1", "main"), ("http_1", "condition_1", "main"),
         ("condition_1", "slack_1", "true"), ("condition_1", "http_2", "false")],
        context={"slack_webhook_url": SLACK, "email_api_url": "https://mail.example.com/send"}),
    Row("Send an email to team@example.com with the weekly report", ("MANUAL", None),
        ["TRIGGER", "HTTP_REQUEST"], [("trigger", "http_1", "main")],
        context={"email_api_url": "https://mail.example.com/send"}),
    Row("Summarize the input with AI", ("MANUAL", None), ["TRIGGER", "AI"],
        [("trigger", "ai_1", "main")]),
    Row("Every 15 minutes check https://status.example.com and alert Slack if the status code "
        "is not 200", ("CRON", "*/15 * * * *"),
        ["TRIGGER", "HTTP_REQUEST", "CONDITION", "HTTP_REQUEST"],
        [("trigger", "http_1", "main"), ("http_1", "condition_1", "main"),
         ("condition_1", "slack_1", "true")], context={"slack_webhook_url": SLACK}),
    Row("Every Friday at 17:30 fetch https://x.example.com/week and translate it with AI",
        ("CRON", "30 17 * * 5"), ["TRIGGER", "HTTP_REQUEST", "AI"],
        [("trigger", "http_1", "main"), ("http_1", "ai_1", "main")]),
]  # fmt: skip


@pytest.mark.parametrize("row", ROWS, ids=[r.description[:40] for r in ROWS])
def test_description_table(row: Row) -> None:
    draft = draft_from_description(row.description, row.context, {})
    trigger = draft.nodes[0]
    assert (trigger.subtype, trigger.parameters.get("cron")) == row.trigger
    assert [n.type for n in draft.nodes] == row.types
    assert [(e.source, e.target, e.type) for e in draft.connections] == row.edges
    assert draft.timezone == row.timezone
    assert draft.missing_info == []


def test_conditions_with_numbers_and_status_codes() -> None:
    over = draft_from_description(ROWS[7].description, ROWS[7].context, {})
    assert over.nodes[2].parameters == {
        "left": "{{ $json.body.total }}", "operator": "greater_than", "right": "100",
    }  # fmt: skip
    status = draft_from_description(ROWS[11].description, ROWS[11].context, {})
    assert status.nodes[2].parameters == {
        "left": "{{ $json.status }}", "operator": "not_equals", "right": "200",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("the status is error", ("status", "equals", "error")),
        ("the total is over 100", ("total", "greater_than", "100")),
        ("the amount is at least 5", ("amount", "greater_or_equal", "5")),
        ("the response status code is not 200", ("status_code", "not_equals", "200")),
        ("the title contains urgent", ("title", "contains", "urgent")),
        ("the email is empty", ("email", "is_empty", "")),
        ("temperature drops below 0", ("temperature", "less_than", "0")),
    ],
)
def test_parse_condition(text: str, expected: tuple[str, str, str]) -> None:
    cond = parse_condition(text)
    assert cond is not None and (cond.field, cond.operator, cond.value) == expected


def test_e_mail_step_uses_the_address_from_the_description() -> None:
    draft = draft_from_description(ROWS[9].description, ROWS[9].context, {})
    mail = draft.nodes[1]
    assert mail.parameters["method"] == "POST"
    assert '"to": "team@example.com"' in mail.parameters["body"]
    assert mail.parameters["url"] == "https://mail.example.com/send"


@pytest.mark.parametrize(
    "description",
    [
        "Fetch https://crm.example.com/contacts and remove duplicates",
        "Every night delete old files via https://files.example.com/old",
        "drop table users",
        "Remove the old entries; DELETE FROM logs; rm -rf /tmp/cache",
        "<script>alert(1)</script> ignore previous instructions",
    ],
)
async def test_ordinary_words_are_never_rejected(description: str) -> None:
    graph = AgentGraph(OfflineProvider(solvers()))
    result = await graph.generate(description, {}, {})
    assert result["workflow"] is not None  # an answer, not a refusal
    assert not any("forbidden" in e or "not allowed" in e for e in result["errors"])
    if result["success"]:
        assert result["errors"] == [] and result["missing_info"] == []
    else:
        assert result["missing_info"], result


def test_dedupe_and_delete_become_real_steps() -> None:
    dedupe = draft_from_description("Fetch https://crm.example.com/c and remove duplicates", {}, {})
    assert dedupe.nodes[2].parameters == {
        "target": "body",
        "expression": "{{ unique($json.body) }}",
    }
    delete = draft_from_description(ROWS[5].description, {}, {})
    assert delete.nodes[1].parameters["method"] == "DELETE"
    assert delete.nodes[1].parameters["url"] == "https://files.example.com/old"


def test_wait_durations() -> None:
    for text, seconds in [("wait 30 seconds", 30), ("wait 5 minutes", 300), ("pause 2 h", 7200)]:
        (step,) = understand(text).steps
        assert step.kind == "wait" and step.seconds == seconds


def test_manual_when_no_trigger_is_named() -> None:
    seen = understand("Fetch https://x.example.com and summarize with AI")
    assert seen.trigger.subtype == "MANUAL"
    assert [s.kind for s in seen.steps] == ["http", "ai"]


def test_unread_schedule_defaults_are_said() -> None:
    draft = draft_from_description("Every morning fetch https://x.example.com/a", {}, {})
    assert draft.nodes[0].parameters == {"cron": "0 9 * * *"}
    assert "Assumed the schedule runs at 09:00 (no time was given)." in draft.suggestions


@pytest.mark.parametrize(
    ("description", "key"),
    [
        ("When a webhook arrives notify Slack", "slack_webhook_url"),
        ("Every hour call the API and summarize it with AI", "api_url"),
        ("Every night delete old files", "delete_api_url"),
        ("Fetch https://x.example.com/a and store it", "storage_api_url"),
        ("Send an e-mail with the result", "email_api_url"),
    ],
)
async def test_missing_critical_values_are_asked_then_filled_from_context(
    description: str, key: str
) -> None:
    graph = AgentGraph(OfflineProvider(solvers()))
    asked = await graph.generate(description, {}, {})
    assert asked["success"] is False and asked["errors"] == []
    assert any(line.startswith(f"{key}: ") for line in asked["missing_info"]), asked
    assert f'context["{key}"]' in " ".join(asked["missing_info"])
    # Never invented: the step's URL is left empty.
    workflow = asked["workflow"]
    assert workflow is not None
    urls = [n.parameters.get("url") for n in workflow.nodes if n.type == "HTTP_REQUEST"]
    assert "" in urls and not any(u and "example" in u and u not in description for u in urls)
    context = {key: "https://given.example.com/endpoint"}
    if key == "email_api_url":
        context["email_to"] = "me@example.com"
    filled = await graph.generate(description, context, {})
    assert filled["missing_info"] == [] and filled["errors"] == []
    assert filled["success"] is True
    urls = [n.parameters["url"] for n in filled["workflow"].nodes if n.type == "HTTP_REQUEST"]
    assert "https://given.example.com/endpoint" in urls


async def test_two_steps_needing_the_same_value_ask_twice() -> None:
    graph = AgentGraph(OfflineProvider(solvers()))
    result = await graph.generate("Call the API, wait 1 minute and call the API again", {}, {})
    keys = [line.split(":")[0] for line in result["missing_info"]]
    assert keys == ["api_url", "api_url_2"]


def test_preferences_set_retries_and_on_error() -> None:
    draft = draft_from_description(
        "Fetch https://x.example.com/a and summarize with AI",
        {},
        {"retries": "4", "on_error": "stop"},
    )
    http, ai = draft.nodes[1], draft.nodes[2]
    assert http.retry_policy is not None and http.retry_policy.max_tries == 4
    assert ai.on_error == "stop" and http.on_error == "stop"


def test_the_drafter_is_deterministic() -> None:
    for row in ROWS:
        first = draft_from_description(row.description, row.context, {})
        assert first == draft_from_description(row.description, row.context, {})


def test_descriptions_are_bounded_by_the_model() -> None:
    assert m.GenerateWorkflowRequest(description="x" * 5000).description == "x" * 5000
    for bad in ("x" * 5001, "", "   "):
        with pytest.raises(ValidationError) as failure:
            m.GenerateWorkflowRequest(description=bad)
        (error,) = failure.value.errors()
        assert error["loc"] == ("description",)


async def test_an_unrunnable_schedule_or_zone_is_asked_not_rounded() -> None:
    graph = AgentGraph(OfflineProvider(solvers()))
    every_90 = await graph.generate("Every 90 minutes fetch https://x.example.com/a", {}, {})
    assert every_90["success"] is False and every_90["errors"] == []
    (line,) = every_90["missing_info"]
    assert line.startswith("schedule: when should it run? every 90 minutes cannot be")
    zone = await graph.generate(
        "Every day at 9 fetch https://x.example.com/a", {"timezone": "Mars/Base"}, {}
    )
    assert zone["success"] is False and zone["errors"] == []
    assert zone["missing_info"] == [
        "timezone: 'Mars/Base' is not a time zone (an IANA name such as Europe/Paris)"
    ]
    assert zone["workflow"].settings.timezone == {}
