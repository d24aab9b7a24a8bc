"""LLM providers behind one small interface; the offline provider needs no network or key."""

from __future__ import annotations

import hashlib
from typing import Protocol


class LLMProvider(Protocol):
    name: str

    async def complete(
        self,
        prompt: str,
        *,
        system: str | None = None,
        model: str | None = None,
        temperature: float | None = None,
    ) -> str: ...


class OfflineProvider:
    """Deterministic and local: the same prompt always gives the same short answer.

    It is what runs by default (no OPENAI_API_KEY / ANTHROPIC_API_KEY), so the whole
    product works with no network; its answers say plainly that they are offline.
    """

    name = "offline"

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


def default_provider() -> LLMProvider:
    """The provider configuration asks for; offline when no key is set."""
    # The OpenAI and Anthropic providers (selected by OPENAI_API_KEY / ANTHROPIC_API_KEY)
    # arrive with the agent issue; until then the offline provider is always used.
    return OfflineProvider()
