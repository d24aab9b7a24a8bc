"""The agent's LangGraph: one StateGraph for generation and refinement.

    understand -> detect_missing -> plan -> build -> validate --(errors, rounds left)--> repair
                                                      |                                   |
                                                      +--------> respond <---- build <----+

``plan`` asks the provider for a draft (a new one, or the refined one); ``build`` turns it
into a workflow deterministically; ``validate`` is the deterministic validator; ``repair``
gives the provider the errors and asks again, a bounded number of rounds. Provider
failures and malformed output end in a response with ``success=false`` and clear errors,
never an exception out of the graph.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from typing import Any, Literal, TypedDict

from langgraph.graph import END, START, StateGraph

from contract.models import Workflow
from services.agent import tasks
from services.agent.diff import describe_changes
from services.agent.draft import Draft, build_workflow, draft_of, parse_draft
from services.agent.offline import ASK, CONTEXT_KEYS, numbered
from services.agent.understanding import URL, understand
from services.agent.validation import validate_workflow
from services.llm import LLMError, LLMOutputError, LLMProvider, StructuredTask

Mode = Literal["generate", "refine"]


class AgentState(TypedDict, total=False):
    mode: Mode
    text: str
    """The description (generate) or the feedback (refine)."""
    context: dict[str, str]
    preferences: dict[str, str]
    original: Workflow | None
    given: list[str]
    """URLs and hosts the user supplied (description, feedback, context, original)."""
    missing: list[str]
    raw: dict[str, Any] | None
    draft: Draft | None
    workflow_data: dict[str, Any] | None
    workflow: Workflow | None
    errors: list[str]
    warnings: list[str]
    suggestions: list[str]
    rounds: int
    provider_failed: bool
    result: dict[str, Any]


def _generation(
    description: str, context: Mapping[str, str], preferences: Mapping[str, str]
) -> AgentState:
    return {
        "mode": "generate", "text": description, "context": dict(context),
        "preferences": dict(preferences), "original": None,
    }  # fmt: skip


class AgentGraph:
    def __init__(self, provider: LLMProvider, *, max_repair_rounds: int = 2) -> None:
        self.provider = provider
        self.max_repair_rounds = max_repair_rounds
        self.graph = self._compile()

    # -- public --------------------------------------------------------------------------

    async def generate(
        self, description: str, context: Mapping[str, str], preferences: Mapping[str, str]
    ) -> dict[str, Any]:
        return await self._result(_generation(description, context, preferences))

    async def generate_stages(
        self, description: str, context: Mapping[str, str], preferences: Mapping[str, str]
    ) -> AsyncIterator[tuple[str, dict[str, Any] | None]]:
        """``generate`` as it happens: (graph node, None) as each node finishes, then
        ("respond", result)."""
        state = _generation(description, context, preferences)
        async for chunk in self.graph.astream(state, stream_mode="updates"):
            for node, update in chunk.items():
                yield node, (update or {}).get("result")

    async def refine(self, original: Workflow, feedback: str) -> dict[str, Any]:
        state: AgentState = {
            "mode": "refine", "text": feedback, "context": {}, "preferences": {},
            "original": original,
        }  # fmt: skip
        return await self._result(state)

    async def _result(self, state: AgentState) -> dict[str, Any]:
        final = await self.graph.ainvoke(state)
        result: dict[str, Any] = final["result"]
        return result

    # -- graph -----------------------------------------------------------------------------

    def _compile(self) -> Any:
        graph = StateGraph(AgentState)
        graph.add_node("understand", self._understand)
        graph.add_node("detect_missing", self._detect_missing)
        graph.add_node("plan", self._plan)
        graph.add_node("build", self._build)
        graph.add_node("validate", self._validate)
        graph.add_node("repair", self._repair)
        graph.add_node("respond", self._respond)
        graph.add_edge(START, "understand")
        graph.add_edge("understand", "detect_missing")
        graph.add_edge("detect_missing", "plan")
        graph.add_conditional_edges("plan", self._after_draft, ["build", "repair", "respond"])
        graph.add_edge("build", "validate")
        graph.add_conditional_edges("validate", self._after_validate, ["repair", "respond"])
        graph.add_conditional_edges("repair", self._after_draft, ["build", "repair", "respond"])
        graph.add_edge("respond", END)
        return graph.compile()

    async def _understand(self, state: AgentState) -> AgentState:
        given = [state["text"], *state.get("context", {}).values()]
        original = state.get("original")
        if original is not None:
            given.extend(v for n in original.nodes for v in n.parameters.values())
        urls = [u for text in given for u in URL.findall(text)]
        hosts = [_host(u) for u in urls]
        return {"given": [*urls, *hosts], "errors": [], "warnings": [], "suggestions": [],
                "rounds": 0, "missing": [], "provider_failed": False}  # fmt: skip

    async def _detect_missing(self, state: AgentState) -> AgentState:
        """Critical values the request needs and does not give (asked, never guessed)."""
        if state["mode"] != "generate":
            return {}
        seen = understand(state["text"])
        context = state.get("context", {})
        missing = []
        counts: dict[str, int] = {}
        for step in seen.steps:
            key = CONTEXT_KEYS.get(step.kind)
            if key is None or step.url or context.get(key, "").strip():
                continue
            counts[key] = counts.get(key, 0) + 1
            missing.append(numbered(key, counts[key]))
        return {"missing": missing}

    async def _plan(self, state: AgentState) -> AgentState:
        if state["mode"] == "generate":
            task = tasks.draft_task(state["text"], state["context"], state["preferences"])
        else:
            original = state["original"]
            assert original is not None
            task = tasks.refine_task(draft_of(original).model_dump(), state["text"])
        return await self._ask(task, state)

    async def _repair(self, state: AgentState) -> AgentState:
        raw = state.get("raw")
        goal = state["text"]
        update = await self._ask(tasks.repair_task(raw, state.get("errors", []), goal), state)
        update["rounds"] = state.get("rounds", 0) + 1
        return update

    async def _ask(self, task: StructuredTask, state: AgentState) -> AgentState:
        try:
            raw = await self.provider.structured(task)
        except LLMOutputError as exc:
            return {"raw": None, "draft": None, "errors": [f"provider output: {exc}"]}
        except LLMError as exc:
            return {"raw": None, "draft": None, "provider_failed": True,
                    "errors": [f"provider failed: {exc}"]}  # fmt: skip
        draft, problems = parse_draft(raw)
        return {"raw": raw, "draft": draft, "errors": problems}

    def _after_draft(self, state: AgentState) -> str:
        if state.get("provider_failed"):
            return "respond"
        if state.get("draft") is not None:
            return "build"
        return "repair" if state.get("rounds", 0) < self.max_repair_rounds else "respond"

    async def _build(self, state: AgentState) -> AgentState:
        draft = state["draft"]
        assert draft is not None
        given = set(state.get("given", []))
        invented = []
        for node in draft.nodes:
            url = node.parameters.get("url", "")
            if url and "{{" not in url and url not in given and _host(url) not in given:
                # A URL the user never gave is a guess: ask instead.
                invented.append(
                    f"{node.id}.url: confirm the URL for '{node.name}' "
                    f"(proposed {url!r}, which the request does not mention)"
                )
                node.parameters["url"] = ""
        data = build_workflow(draft, base=state.get("original"))
        return {"workflow_data": data, "missing": [*state.get("missing", []), *invented]}

    async def _validate(self, state: AgentState) -> AgentState:
        data = state["workflow_data"]
        assert data is not None
        report = validate_workflow(data)
        draft = state.get("draft")
        asked = bool(state.get("missing")) or bool(draft and draft.missing_info)
        # A parameter left blank because its value was asked for is missing_info, not an error.
        errors = [e for e in report.errors if not (asked and _blank_parameter(e))]
        return {"errors": errors, "warnings": report.warnings, "workflow": report.workflow}

    def _after_validate(self, state: AgentState) -> str:
        if state.get("errors") and state.get("rounds", 0) < self.max_repair_rounds:
            return "repair"
        return "respond"

    async def _respond(self, state: AgentState) -> AgentState:
        draft = state.get("draft")
        errors = list(state.get("errors", []))
        missing = _merge_missing(state.get("missing", []), draft.missing_info if draft else [])
        workflow = state.get("workflow") if draft is not None else None
        suggestions = list(draft.suggestions) if draft else []
        rounds = state.get("rounds", 0)
        if rounds:
            suggestions.append(f"The draft needed {rounds} repair round(s).")
        if state["mode"] == "generate":
            ok = not errors and not missing and workflow is not None
            confidence = 0.0 if workflow is None else (draft.confidence if draft else 0.0)
            result = {
                "success": ok,
                "workflow": workflow,
                "suggestions": suggestions + [f"Note: {w}" for w in state.get("warnings", [])],
                "missing_info": missing,
                "errors": errors,
                "confidence_score": round(max(0.0, confidence - 0.1 * rounds), 2),
            }
            return {"result": result}
        original = state["original"]
        assert original is not None
        changes = describe_changes(original, workflow) if workflow is not None else []
        if workflow is not None and not errors and not changes:
            errors.append(
                "the feedback led to no change"
                + (f" ({' '.join(suggestions)})" if suggestions else "")
            )
        errors.extend(
            "missing: " + re.sub(r'send it as context\["[^"]*"\]', "include it in the feedback", m)
            for m in missing
        )
        result = {
            "success": not errors and workflow is not None,
            "updated_workflow": workflow,
            "changes": changes,
            "errors": errors,
        }
        return {"result": result}


def _merge_missing(keys: list[str], from_draft: list[str]) -> list[str]:
    """One line per missing value: the draft's wording when it has one, else ours."""
    merged = list(dict.fromkeys(from_draft))
    named = {line.split(":", 1)[0].strip() for line in merged}
    for key in keys:
        if ":" in key:
            if key not in merged:
                merged.append(key)
            continue
        if key not in named:
            base = re.sub(r"_\d+$", "", key)
            merged.append(f'{key}: {ASK.get(base, base)} (send it as context["{key}"])')
    return merged


def _blank_parameter(error: str) -> bool:
    return ".parameters." in error and error.endswith("required by HTTP_REQUEST")


def _host(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0].lower()
