"""The shared models enforce the original plan's validation rules, in Pydantic v2 idioms."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from bench.fixtures import load_workflow
from contract.models import (
    CreateWorkflowRequest,
    ListWorkflowsRequest,
    RetryPolicy,
    UpdateWorkflowRequest,
    Workflow,
    WorkflowSettings,
)

BASE = load_workflow(20)


def _errors(model: type[Any], data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as exc:
        model.model_validate(data)
    return [(".".join(map(str, e["loc"])), e["msg"]) for e in exc.value.errors()]


def _with(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    target: Any = data
    parts = path.split(".")
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    target[parts[-1]] = value
    return data


def test_fixtures_are_valid() -> None:
    assert len(Workflow.model_validate(load_workflow(200)).nodes) == 200


def test_names_are_trimmed() -> None:
    assert Workflow.model_validate(_with("name", "  Orders  ")).name == "Orders"


@pytest.mark.parametrize(
    ("path", "value", "loc", "message"),
    [
        ("name", "   ", "name", "at least 1 character"),
        ("name", "x" * 256, "name", "at most 255 characters"),
        ("description", "d" * 1001, "description", "at most 1000 characters"),
        ("nodes", [], "nodes", "at least 1 item"),
        ("nodes.0.name", "", "nodes.0.name", "at least 1 character"),
        ("nodes.0.type", "http request", "nodes.0.type", "should match pattern"),
        ("nodes.0.on_error", "ignore", "nodes.0.on_error", "'continue' or 'stop'"),
        (
            "nodes.3.retry_policy",
            {"max_tries": 11},
            "nodes.3.retry_policy.max_tries",
            "less than or equal to 10",
        ),
        (
            "nodes.3.retry_policy",
            {"wait_between_tries": 0},
            "nodes.3.retry_policy.wait_between_tries",
            "greater than or equal to 1",
        ),
        ("nodes.0.position", {"x": float("nan"), "y": 0}, "nodes.0.position.x", "finite number"),
        ("settings.timeout", 59, "settings.timeout", "greater than or equal to 60"),
        ("settings.timeout", 86401, "settings.timeout", "less than or equal to 86400"),
        ("settings.error_policy", "retry", "settings.error_policy", "should match pattern"),
        ("settings.caller_policy", "anyone", "settings.caller_policy", "should match pattern"),
        ("tags", ["ok", ""], "tags.1", "at least 1 character"),
        (
            "connections",
            {"connections": {"trigger": {"main": []}}},
            "connections.connections.trigger",
            "valid list",
        ),
    ],
)
def test_rule(path: str, value: Any, loc: str, message: str) -> None:
    errors = _errors(Workflow, _with(path, value))
    assert any(where == loc and message in m for where, m in errors), errors


def test_node_ids_must_be_unique() -> None:
    data = _with("nodes.1.id", "trigger")
    [(_, message)] = _errors(Workflow, data)
    assert "'trigger' appears more than once" in message


@pytest.mark.parametrize(
    ("connections", "needle"),
    [
        ({"ghost": {"main": [{"node": "n1", "type": "main"}]}}, "source node 'ghost'"),
        (
            {"n1": {"main": [{"node": "ghost", "type": "main"}]}},
            "connections.n1.main[0]: target node 'ghost'",
        ),
    ],
)
def test_connections_must_reference_existing_nodes(
    connections: dict[str, Any], needle: str
) -> None:
    [(_, message)] = _errors(Workflow, _with("connections", connections))
    assert needle in message


def test_unknown_fields_are_rejected_by_name() -> None:
    [(loc, message)] = _errors(Workflow, _with("connectionz", {}))
    assert (loc, message) == ("connectionz", "Extra inputs are not permitted")


def test_defaults() -> None:
    settings = WorkflowSettings()
    assert (settings.timeout, settings.error_policy, settings.caller_policy) == (
        3600,
        "continue",
        "workflow",
    )
    assert RetryPolicy() == RetryPolicy(max_tries=3, wait_between_tries=5)
    assert ListWorkflowsRequest(user_id="u").limit == 50


@pytest.mark.parametrize(("limit", "ok"), [(0, False), (1, True), (500, True), (501, False)])
def test_list_limit_bounds(limit: int, ok: bool) -> None:
    if ok:
        assert ListWorkflowsRequest(user_id="u", limit=limit).limit == limit
    else:
        _errors(ListWorkflowsRequest, {"user_id": "u", "limit": limit})


def test_create_request_checks_the_graph_too() -> None:
    data = {
        k: v
        for k, v in _with("nodes.1.id", "trigger").items()
        if k in CreateWorkflowRequest.model_fields
    }
    data["user_id"] = "u1"
    [(_, message)] = _errors(CreateWorkflowRequest, data)
    assert "appears more than once" in message


def test_partial_update_checks_what_it_can() -> None:
    assert UpdateWorkflowRequest(workflow_id="w", user_id="u", tags=[]).tags == []
    nodes = BASE["nodes"][:2]
    [(_, message)] = _errors(
        UpdateWorkflowRequest,
        {
            "workflow_id": "w",
            "user_id": "u",
            "nodes": nodes,
            "connections": {"trigger": {"main": [{"node": "n9", "type": "main"}]}},
        },
    )
    assert "target node 'n9' does not exist" in message
