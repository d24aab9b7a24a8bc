"""Refinement: each supported feedback gives the right workflow and the right change list,
computed from a real diff (``describe_changes``); credentials are never printed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from contract.models import Workflow
from services.agent.diff import describe_changes
from services.agent.graph import AgentGraph
from services.agent.offline import solvers
from services.llm import OfflineProvider

SLACK = "https://hooks.slack.com/services/T0/B0/s3cr3t-path"
DESCRIPTION = (
    "When a webhook arrives, call https://api.example.com/check and notify Slack if the "
    "status is error"
)


@pytest.fixture
def graph() -> AgentGraph:
    return AgentGraph(OfflineProvider(solvers()))


@pytest.fixture
async def base(graph: AgentGraph) -> Workflow:
    result = await graph.generate(DESCRIPTION, {"slack_webhook_url": SLACK}, {})
    assert result["success"], result
    workflow: Workflow = result["workflow"]
    workflow = workflow.model_copy(update={"id": "wf_1"})
    node = workflow.nodes[1].model_copy(update={"credentials": {"api_key_ref": "cred_1"}})
    return workflow.model_copy(update={"nodes": [workflow.nodes[0], node, *workflow.nodes[2:]]})


def edges(workflow: Workflow) -> list[tuple[str, str, str]]:
    return sorted(
        (source, kind, edge.node)
        for source, by_type in workflow.connections.items()
        for kind, targets in by_type.items()
        for edge in targets
    )


def by_id(workflow: Workflow, node_id: str) -> Any:
    return next(n for n in workflow.nodes if n.id == node_id)


Check = Callable[[Workflow], None]


def _renamed(w: Workflow) -> None:
    assert w.name == "Error watch"


def _wait_before_slack(w: Workflow) -> None:
    assert by_id(w, "wait_1").parameters == {"seconds": "300"}
    assert ("condition_1", "true", "wait_1") in edges(w)
    assert ("wait_1", "main", "slack_1") in edges(w)
    assert ("condition_1", "true", "slack_1") not in edges(w)


def _ai_after_api(w: Workflow) -> None:
    assert ("http_1", "main", "ai_1") in edges(w) and ("ai_1", "main", "condition_1") in edges(w)


def _wait_at_the_end(w: Workflow) -> None:
    assert ("slack_1", "main", "wait_1") in edges(w)


def _slack_removed(w: Workflow) -> None:
    assert [n.id for n in w.nodes] == ["trigger", "http_1", "condition_1"]
    assert edges(w) == [("http_1", "main", "condition_1"), ("trigger", "main", "http_1")]


def _url(w: Workflow) -> None:
    assert by_id(w, "http_1").parameters["url"] == "https://api.example.org/v2"
    assert by_id(w, "slack_1").parameters["url"] == SLACK


def _post(w: Workflow) -> None:
    assert by_id(w, "http_1").parameters["method"] == "POST"


def _retries(w: Workflow) -> None:
    for node_id in ("http_1", "slack_1"):
        assert by_id(w, node_id).retry_policy.max_tries == 4
    assert by_id(w, "condition_1").retry_policy is None


def _stop(w: Workflow) -> None:
    assert [n.on_error.value for n in w.nodes] == ["continue", "stop", "stop", "stop"]


def _schedule(w: Workflow) -> None:
    trigger = w.nodes[0]
    assert (trigger.subtype, trigger.parameters) == ("CRON", {"cron": "0 7 * * *"})


def _disabled(w: Workflow) -> None:
    assert by_id(w, "slack_1").disabled is True


def _zone(w: Workflow) -> None:
    assert w.settings.timezone == {"name": "Europe/Berlin"}


TRIGGER = "'Webhook' (now 'Every day at 07:00')"
API = "'Call api.example.com'"
CASES: list[tuple[str, Check, list[str]]] = [
    ("rename it to Error watch", _renamed,
     ["Renamed the workflow from 'Webhook: Call api.example.com, Notify Slack' to 'Error watch'"]),
    ("add a wait of 5 minutes before the Slack step", _wait_before_slack,
     ["Added node 'Wait 5 min' (WAIT, id 'wait_1')",
      "Connected 'If the status is error' -> 'Wait 5 min' (true)",
      "Connected 'Wait 5 min' -> 'Notify Slack' (main)",
      "Disconnected 'If the status is error' -> 'Notify Slack' (true)"]),
    ("add a step to summarize with AI after the API call", _ai_after_api,
     ["Added node 'Summarize with AI' (AI, id 'ai_1')",
      "Connected 'Summarize with AI' -> 'If the status is error' (main)",
      f"Connected {API} -> 'Summarize with AI' (main)",
      f"Disconnected {API} -> 'If the status is error' (main)"]),
    ("add a wait of 10 seconds", _wait_at_the_end,
     ["Added node 'Wait 10 s' (WAIT, id 'wait_1')",
      "Connected 'Notify Slack' -> 'Wait 10 s' (main)"]),
    ("remove the slack step", _slack_removed,
     ["Removed node 'Notify Slack' (HTTP_REQUEST, id 'slack_1')",
      "Disconnected 'If the status is error' -> 'Notify Slack' (true)"]),
    ("change the URL to https://api.example.org/v2", _url,
     [f"Changed {API}: parameters.url 'https://api.example.com/check' -> "
      "'https://api.example.org/v2'"]),
    ("use POST", _post, [f"Changed {API}: parameters.method 'GET' -> 'POST'"]),
    ("retry 4 times", _retries,
     [f"Changed {API}: retry_policy None -> {{'max_tries': 4, 'wait_between_tries': 5}}",
      "Changed 'Notify Slack': retry_policy None -> {'max_tries': 4, 'wait_between_tries': 5}"]),
    ("stop on error", _stop,
     [f"Changed {API}: on_error 'continue' -> 'stop'",
      "Changed 'If the status is error': on_error 'continue' -> 'stop'",
      "Changed 'Notify Slack': on_error 'continue' -> 'stop'"]),
    ("every day at 7 am", _schedule,
     [f"Changed {TRIGGER}: name 'Webhook' -> 'Every day at 07:00'",
      f"Changed {TRIGGER}: subtype 'WEBHOOK' -> 'CRON'",
      f"Changed {TRIGGER}: set parameters.cron = '0 7 * * *'",
      f"Changed {TRIGGER}: removed parameters.method",
      f"Changed {TRIGGER}: removed parameters.path"]),
    ("disable the slack step", _disabled, ["Changed 'Notify Slack': disabled False -> True"]),
    ("in Europe/Berlin", _zone, ["Changed settings.timezone.name None -> 'Europe/Berlin'"]),
]  # fmt: skip


@pytest.mark.parametrize(("feedback", "check", "changes"), CASES, ids=[c[0] for c in CASES])
async def test_each_feedback_changes_the_workflow_and_lists_it(
    graph: AgentGraph, base: Workflow, feedback: str, check: Check, changes: list[str]
) -> None:
    result = await graph.refine(base, feedback)
    assert result["success"], result
    assert result["errors"] == []
    updated: Workflow = result["updated_workflow"]
    assert updated.id == "wf_1"
    check(updated)
    assert result["changes"] == changes
    # The list is the diff, not a claim: recomputing it gives the same.
    assert describe_changes(base, updated) == changes
    # Kept nodes keep their position and credentials.
    for node in base.nodes:
        kept = next((n for n in updated.nodes if n.id == node.id), None)
        if kept is not None:
            assert kept.position == node.position and kept.credentials == node.credentials


async def test_several_changes_in_one_feedback(graph: AgentGraph, base: Workflow) -> None:
    result = await graph.refine(base, "rename it to Nightly; retry 2 times")
    assert result["success"]
    assert result["updated_workflow"].name == "Nightly"
    assert len(result["changes"]) == 3 and result["changes"][0].startswith("Renamed")


@pytest.mark.parametrize("feedback", ["make it sing opera", "remove the unicorn step"])
async def test_feedback_that_maps_to_nothing_is_a_clear_error(
    graph: AgentGraph, base: Workflow, feedback: str
) -> None:
    result = await graph.refine(base, feedback)
    assert result["success"] is False and result["changes"] == []
    (error,) = result["errors"]
    assert error.startswith("the feedback led to no change")
    assert repr(feedback) in error and "It understands: rename" in error


async def test_an_added_step_that_needs_a_url_asks_for_it(
    graph: AgentGraph, base: Workflow
) -> None:
    result = await graph.refine(base, "add a step to store the result")
    assert result["success"] is False
    (error,) = result["errors"]
    assert error.startswith("missing: storage_api_url: ") and "include it in the feedback" in error
    assert "context[" not in error


async def test_changes_never_print_credential_values(graph: AgentGraph, base: Workflow) -> None:
    new_slack = "https://hooks.slack.com/services/T0/B0/n3w-s3cr3t"
    result = await graph.refine(base, f"change the Slack webhook URL to {new_slack}")
    assert result["success"], result
    assert by_id(result["updated_workflow"], "slack_1").parameters["url"] == new_slack
    assert result["changes"] == ["Changed 'Notify Slack': parameters.url (value hidden)"]
    # The trigger is untouched by the word "webhook".
    assert result["updated_workflow"].nodes[0] == base.nodes[0]

    node = base.nodes[1]
    rotated = node.model_copy(
        update={
            "credentials": {"api_key_ref": "cred_2"},
            "parameters": {**node.parameters, "api_token": "tok-123", "headers":
                           '{"Authorization": "Bearer abc.def"}'},
        }
    )  # fmt: skip
    after = base.model_copy(update={"nodes": [base.nodes[0], rotated, *base.nodes[2:]]})
    changes = describe_changes(base, after)
    text = "\n".join(changes)
    for secret in ("cred_1", "cred_2", "tok-123", "abc.def", "s3cr3t"):
        assert secret not in text
    assert f"Changed {API}: credentials" in changes
    assert f"Changed {API}: parameters.api_token (value hidden)" in changes
    assert f"Changed {API}: parameters.headers (value hidden)" in changes


def test_describe_changes_of_identical_workflows_is_empty(base: Workflow) -> None:
    assert describe_changes(base, base.model_copy(deep=True)) == []


def test_settings_tags_and_activation_are_listed(base: Workflow) -> None:
    after = base.model_copy(
        update={
            "tags": ["ops"],
            "active": not base.active,
            "settings": base.settings.model_copy(update={"timeout": 600}),
        }
    )
    changes = describe_changes(base, after)
    assert "Changed settings.timeout 3600 -> 600" in changes
    assert "Changed tags from [] to ['ops']" in changes
    assert any(c in changes for c in ("Activated the workflow", "Deactivated the workflow"))
