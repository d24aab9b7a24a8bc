"""Reading a description: trigger and schedule, time zone, steps and their guards."""

from __future__ import annotations

import pytest

from services.agent.understanding import understand


@pytest.mark.parametrize(
    ("text", "subtype", "cron"),
    [
        ("When a webhook arrives, notify Slack", "WEBHOOK", None),
        ("Whenever a new order is placed call the API", "WEBHOOK", None),
        ("On each incoming request summarize it with AI", "WEBHOOK", None),
        ("Every morning at 9 fetch the news", "CRON", "0 9 * * *"),
        ("Every evening at 7 fetch the news", "CRON", "0 19 * * *"),
        ("Every day at 12 am call the API", "CRON", "0 0 * * *"),
        ("Every 10 minutes call the API", "CRON", "*/10 * * * *"),
        ("Every 2 hours call the API", "CRON", "0 */2 * * *"),
        ("Hourly call the API", "CRON", "0 * * * *"),
        ("On weekdays at 8:15 call the API", "CRON", "15 8 * * 1-5"),
        ("Every Sunday at 10 am call the API", "CRON", "0 10 * * 0"),
        ("Monthly call the API", "CRON", "0 9 1 * *"),
        ("cron '5 4 * * *' call the API", "CRON", "5 4 * * *"),
        ("Call the API", "MANUAL", None),
    ],
)
def test_triggers_and_schedules(text: str, subtype: str, cron: str | None) -> None:
    trigger = understand(text).trigger
    assert (trigger.subtype, trigger.cron) == (subtype, cron)


def test_time_zone_must_exist() -> None:
    assert understand("Every day at 9 in Asia/Tokyo call the API").timezone == "Asia/Tokyo"
    assert understand("Every day at 9 in Mars/Olympus call the API").timezone is None


def test_a_full_stop_after_a_url_ends_the_sentence() -> None:
    seen = understand("Fetch https://x.example.com/s. If the status is ok notify Slack")
    assert [(s.kind, s.url) for s in seen.steps] == [
        ("http", "https://x.example.com/s"), ("slack", None),
    ]  # fmt: skip
    guard = seen.steps[1].guard
    assert guard is not None and (guard.field, guard.value) == ("status", "ok")


def test_urls_keep_their_dots_and_a_comma_after_one_ends_the_clause() -> None:
    steps = understand("Fetch https://api.example.com/v1/a.json?x=1.5, then wait 5 s").steps
    assert [(s.kind, s.url) for s in steps] == [
        ("http", "https://api.example.com/v1/a.json?x=1.5"), ("wait", None),
    ]  # fmt: skip


def test_daily_or_weekly_as_an_adjective_is_not_a_schedule() -> None:
    assert understand("Send the weekly report to Slack").trigger.subtype == "MANUAL"
    assert understand("Post the daily summary to Slack").trigger.subtype == "MANUAL"
    assert understand("Weekly send the report to Slack").trigger.cron == "0 9 * * 1"


def test_a_trigger_phrase_mid_sentence_leaves_one_step() -> None:
    seen = understand("Send the report weekly to Slack")
    assert seen.trigger.cron == "0 9 * * 1"
    assert [(s.kind, s.clause) for s in seen.steps] == [("slack", "Send the report to Slack")]


def test_a_clause_that_reshapes_data_is_a_transform() -> None:
    seen = understand("Fetch https://x.example.com/u, extract the email and post it to Slack")
    assert [s.kind for s in seen.steps] == ["http", "transform", "slack"]


def test_guards_before_and_after_the_action() -> None:
    before = understand("If the total is over 100, send an email to a@example.com").steps
    after = understand("Send an email to a@example.com if the total is over 100").steps
    for steps in (before, after):
        (step,) = steps
        assert step.kind == "email" and step.guard is not None
        assert (step.guard.field, step.guard.operator, step.guard.value) == (
            "total", "greater_than", "100",
        )  # fmt: skip


def test_an_unreadable_guard_is_kept_as_text() -> None:
    (step,) = understand("Notify Slack if it feels right").steps
    assert step.guard is None and step.unreadable_guard == "it feels right"


def test_otherwise_is_the_false_branch() -> None:
    steps = understand("If the status is ok notify Slack, otherwise send an email").steps
    assert [(s.kind, s.branch) for s in steps] == [("slack", "main"), ("email", "false")]


def test_emails_are_collected() -> None:
    assert understand("Send an email to a@example.com and b.c@example.org").emails == [
        "a@example.com", "b.c@example.org",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "cron"),
    [
        ("Every 120 minutes call the API", "0 */2 * * *"),
        ("Every 24 hours call the API", "0 0 * * *"),
        ("Every 6 hours call the API", "0 */6 * * *"),
    ],
)
def test_intervals_cron_can_run_evenly(text: str, cron: str) -> None:
    assert understand(text).trigger.cron == cron


@pytest.mark.parametrize(
    "text",
    [
        "Every 90 minutes call the API",
        "Every 7 minutes call the API",
        "Every 0 minutes call the API",
        "Every 5 hours call the API",
        "Every day at 25 call the API",
        "Every day at 7:75 call the API",
        "Every day at 13 pm call the API",
    ],
)
def test_schedules_cron_cannot_run_as_said_are_unreadable(text: str) -> None:
    trigger = understand(text).trigger
    assert trigger.cron is None and trigger.unreadable, trigger
