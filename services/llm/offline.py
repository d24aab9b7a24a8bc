"""The offline provider: deterministic and local, no network and no key.

Free text is a short, plainly labelled digest of the prompt. Structured tasks are answered
by *solvers* the caller registers by task name (the agent registers its rule-based
workflow drafter), so this module knows nothing about workflows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from services.llm._base import LLMOutputError, StructuredTask

OfflineSolver = Callable[[StructuredTask], dict[str, Any]]


class OfflineProvider:
    """What runs by default (no OPENAI_API_KEY / ANTHROPIC_API_KEY), so the whole product
    works with no network; its text answers say plainly that they are offline."""

    name = "offline"
    model = "offline"

    def __init__(self, solvers: Mapping[str, OfflineSolver] | None = None) -> None:
        self.solvers = dict(solvers or {})

    async def complete(
        self,
        prompt: str,
        *,
        system: str | None = None,
        model: str | None = None,
        temperature: float | None = None,
    ) -> str:
        words = prompt.split()
        digest = hashlib.sha256(f"{system or ''}\n{prompt}".encode()).hexdigest()[:8]
        gist = " ".join(words[:24]) + (" ..." if len(words) > 24 else "")
        return f"[offline model {digest}] {len(words)} words considered. Gist: {gist}"

    async def structured(self, task: StructuredTask) -> dict[str, Any]:
        solver = self.solvers.get(task.name)
        if solver is None:
            raise LLMOutputError(self.name, f"no offline solver for task {task.name!r}")
        return solver(task)

    async def aclose(self) -> None:
        return None
