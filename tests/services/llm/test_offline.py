"""The offline provider: deterministic text, solver dispatch, unknown tasks refused."""

from __future__ import annotations

from typing import Any

import pytest

from services.llm import LLMError, LLMOutputError, OfflineProvider, StructuredTask


def make_task(name: str, **inputs: Any) -> StructuredTask:
    return StructuredTask(name=name, system="sys", prompt="prose", schema={}, inputs=inputs)


async def test_text_is_deterministic_and_says_it_is_offline() -> None:
    provider = OfflineProvider()
    first = await provider.complete("summarise the weather report", system="brief")
    again = await OfflineProvider().complete("summarise the weather report", system="brief")
    assert first == again
    assert first.startswith("[offline model ") and "4 words considered" in first
    assert "Gist: summarise the weather report" in first
    other_system = await provider.complete("summarise the weather report", system="long")
    assert other_system != first  # the digest covers the system prompt too


async def test_long_prompts_are_cut_in_the_gist() -> None:
    words = " ".join(f"w{i}" for i in range(40))
    text = await OfflineProvider().complete(words)
    assert "40 words considered" in text and text.endswith("w23 ...")


async def test_structured_dispatches_to_the_solver_of_the_task() -> None:
    seen: list[str] = []

    def draft(task: StructuredTask) -> dict[str, Any]:
        seen.append(task.name)
        return {"nodes": task.inputs["count"]}

    def refine(task: StructuredTask) -> dict[str, Any]:
        seen.append(task.name)
        return {"ok": True}

    provider = OfflineProvider({"draft": draft, "refine": refine})
    assert await provider.structured(make_task("draft", count=3)) == {"nodes": 3}
    assert await provider.structured(make_task("refine")) == {"ok": True}
    assert seen == ["draft", "refine"]


async def test_unknown_task_is_an_output_error() -> None:
    provider = OfflineProvider({"draft": lambda task: {}})
    with pytest.raises(LLMOutputError, match="no offline solver for task 'summarise'") as caught:
        await provider.structured(make_task("summarise"))
    assert isinstance(caught.value, LLMError) and caught.value.provider == "offline"
    assert not caught.value.retryable
    await provider.aclose()
