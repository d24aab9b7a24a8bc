"""The LangGraph pipeline with a scripted provider: bounded repair of malformed drafts,
provider failures as ``success=false``, and URLs the user never gave asked, not used."""

from __future__ import annotations

from collections import deque
from typing import Any

import pytest

from services.agent import tasks
from services.agent.graph import AgentGraph
from services.agent.settings import AgentSettings
from services.llm import LLMError, LLMOutputError, StructuredTask

DESCRIPTION = "Fetch https://api.example.com/items and summarize them with AI"

GOOD: dict[str, Any] = {
    "name": "Digest",
    "nodes": [
        {"id": "start", "name": "Start", "type": "TRIGGER", "subtype": "MANUAL"},
        {"id": "fetch", "name": "Fetch", "type": "HTTP_REQUEST",
         "parameters": {"url": "https://api.example.com/items"}},
        {"id": "sum", "name": "Summarize", "type": "AI", "parameters": {"prompt": "{{ $json }}"}},
    ],
    "connections": [{"source": "start", "target": "fetch"}, {"source": "fetch", "target": "sum"}],
    "confidence": 0.9,
}  # fmt: skip
BAD_SHAPE: dict[str, Any] = {"workflow": "Digest", "steps": ["fetch", "summarize"]}
UNKNOWN_TYPE: dict[str, Any] = {
    **GOOD, "nodes": [*GOOD["nodes"][:2], {**GOOD["nodes"][2], "type": "GPT_WIZARD"}],
}  # fmt: skip
CYCLE: dict[str, Any] = {
    **GOOD, "connections": [*GOOD["connections"], {"source": "sum", "target": "fetch"}],
}  # fmt: skip


class ScriptedProvider:
    """A real ``LLMProvider``: answers structured tasks from a script, in order (an
    exception in the script is raised), and records every task it was given."""

    name = "scripted"
    model = "scripted-1"

    def __init__(self, *answers: dict[str, Any] | Exception) -> None:
        self.answers: deque[dict[str, Any] | Exception] = deque(answers)
        self.tasks: list[StructuredTask] = []
        self.closed = False

    async def complete(
        self,
        prompt: str,
        *,
        system: str | None = None,
        model: str | None = None,
        temperature: float | None = None,
    ) -> str:
        raise LLMError(self.name, "complete is not scripted")

    async def structured(self, task: StructuredTask) -> dict[str, Any]:
        self.tasks.append(task)
        if not self.answers:
            raise AssertionError(f"unplanned call: {task.name}")
        answer = self.answers.popleft()
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def aclose(self) -> None:
        self.closed = True


def test_the_pipeline_is_a_langgraph_state_graph() -> None:
    graph = AgentGraph(ScriptedProvider()).graph
    assert {"understand", "detect_missing", "plan", "build", "validate", "repair",
            "respond"} <= set(graph.get_graph().nodes)  # fmt: skip


@pytest.mark.parametrize(
    ("first", "in_repair_prompt"),
    [
        (BAD_SHAPE, "draft.nodes: Field required"),
        (UNKNOWN_TYPE, "unknown node type 'GPT_WIZARD'"),
        (CYCLE, "connections: cycle fetch -> sum -> fetch"),
        (LLMOutputError("scripted", "not JSON: 'Sure! {nodes'"), "not JSON"),
    ],
    ids=["bad-shape", "unknown-type", "cycle", "not-json"],
)
async def test_a_malformed_draft_is_repaired(
    first: dict[str, Any] | Exception, in_repair_prompt: str
) -> None:
    provider = ScriptedProvider(first, GOOD)
    result = await AgentGraph(provider, max_repair_rounds=2).generate(DESCRIPTION, {}, {})
    assert result["success"], result
    assert [n.id for n in result["workflow"].nodes] == ["start", "fetch", "sum"]
    assert result["errors"] == [] and result["missing_info"] == []
    assert "The draft needed 1 repair round(s)." in result["suggestions"]
    assert result["confidence_score"] == 0.8  # 0.9, less 0.1 per repair round
    assert [t.name for t in provider.tasks] == [tasks.DRAFT, tasks.REPAIR]
    repair = provider.tasks[1]
    assert in_repair_prompt in repair.prompt
    assert any(in_repair_prompt in e for e in repair.inputs["errors"])
    assert DESCRIPTION in repair.prompt


async def test_a_draft_repaired_over_several_rounds() -> None:
    provider = ScriptedProvider(BAD_SHAPE, UNKNOWN_TYPE, GOOD)
    result = await AgentGraph(provider, max_repair_rounds=2).generate(DESCRIPTION, {}, {})
    assert result["success"]
    assert "The draft needed 2 repair round(s)." in result["suggestions"]
    assert len(provider.tasks) == 3


@pytest.mark.parametrize("rounds", [0, 1, 3])
async def test_a_provider_that_never_fixes_it_stops_after_the_bounded_rounds(
    rounds: int,
) -> None:
    provider = ScriptedProvider(*[UNKNOWN_TYPE] * (rounds + 1))
    result = await AgentGraph(provider, max_repair_rounds=rounds).generate(DESCRIPTION, {}, {})
    assert result["success"] is False
    assert len(provider.tasks) == rounds + 1 and not provider.answers
    assert any(e.startswith("nodes[2].type: unknown node type 'GPT_WIZARD'")
               for e in result["errors"])  # fmt: skip
    # The invalid workflow is shown (so the user can see what is wrong), never as success.
    assert result["workflow"] is not None


async def test_a_provider_that_never_answers_a_draft_shape() -> None:
    provider = ScriptedProvider(BAD_SHAPE, BAD_SHAPE, BAD_SHAPE)
    result = await AgentGraph(provider, max_repair_rounds=2).generate(DESCRIPTION, {}, {})
    assert result["success"] is False and result["workflow"] is None
    assert result["confidence_score"] == 0.0
    assert "draft.nodes: Field required" in result["errors"]


def test_the_bound_comes_from_agent_max_repair_rounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENT_MAX_REPAIR_ROUNDS", "4")
    assert AgentSettings().agent_max_repair_rounds == 4
    monkeypatch.setenv("AGENT_MAX_REPAIR_ROUNDS", "50")
    with pytest.raises(ValueError, match="agent_max_repair_rounds"):
        AgentSettings()


@pytest.mark.parametrize("mode", ["generate", "refine"])
async def test_a_provider_failure_is_success_false_not_an_exception(mode: str) -> None:
    provider = ScriptedProvider(LLMError("scripted", "HTTP 503: overloaded", retryable=True))
    graph = AgentGraph(provider, max_repair_rounds=2)
    if mode == "generate":
        result = await graph.generate(DESCRIPTION, {}, {})
        assert result["workflow"] is None and result["confidence_score"] == 0.0
    else:
        ok = await AgentGraph(ScriptedProvider(GOOD)).generate(DESCRIPTION, {}, {})
        result = await graph.refine(ok["workflow"], "rename it to X")
        assert result["updated_workflow"] is None and result["changes"] == []
    assert result["success"] is False
    assert result["errors"] == ["provider failed: scripted: HTTP 503: overloaded"]
    assert len(provider.tasks) == 1  # a provider failure is not "repaired"


async def test_an_invented_url_is_asked_for_not_used() -> None:
    invented = {**GOOD, "nodes": [
        GOOD["nodes"][0],
        {**GOOD["nodes"][1], "parameters": {"url": "https://totally-real-api.example.net/v1"}},
        GOOD["nodes"][2],
    ]}  # fmt: skip
    provider = ScriptedProvider(invented)
    result = await AgentGraph(provider, max_repair_rounds=0).generate(
        "Fetch the items from our API and summarize them with AI", {}, {}
    )
    assert result["success"] is False
    fetch = next(n for n in result["workflow"].nodes if n.id == "fetch")
    assert fetch.parameters["url"] == ""
    assert any(
        line.startswith("fetch.url: confirm the URL for 'Fetch'")
        and "https://totally-real-api.example.net/v1" in line
        for line in result["missing_info"]
    ), result["missing_info"]
    # The blank URL it left is a question, not a validation error.
    assert result["errors"] == []


@pytest.mark.parametrize(
    ("description", "context"),
    [
        ("Fetch https://api.example.com/items and summarize them with AI", {}),
        ("Fetch the items and summarize them with AI", {"api_url": "https://api.example.com/x"}),
    ],
    ids=["in-description", "same-host-in-context"],
)
async def test_a_url_the_user_gave_is_kept(description: str, context: dict[str, str]) -> None:
    provider = ScriptedProvider(GOOD)
    result = await AgentGraph(provider).generate(description, context, {})
    fetch = next(n for n in result["workflow"].nodes if n.id == "fetch")
    assert fetch.parameters["url"] == "https://api.example.com/items"
    assert not any(line.startswith("fetch.url") for line in result["missing_info"])


async def test_the_draft_task_carries_the_catalog_and_the_request() -> None:
    provider = ScriptedProvider(GOOD)
    await AgentGraph(provider).generate(DESCRIPTION, {"api_url": "https://a.example"}, {"x": "1"})
    (task,) = provider.tasks
    assert task.name == tasks.DRAFT
    for type_name in ("TRIGGER", "HTTP_REQUEST", "CONDITION", "WAIT", "AI", "TRANSFORM"):
        assert f"- {type_name}: " in task.system
    assert task.schema["$defs"]["DraftNode"]["properties"]["type"]["enum"] == sorted(
        ["AI", "CONDITION", "HTTP_REQUEST", "TRANSFORM", "TRIGGER", "WAIT"]
    )
    assert task.inputs == {"description": DESCRIPTION, "context": {"api_url": "https://a.example"},
                           "user_preferences": {"x": "1"}}  # fmt: skip
