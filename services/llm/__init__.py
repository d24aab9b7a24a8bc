"""LLM providers behind one small interface (``LLMProvider``): OpenAI, Anthropic, and the
offline deterministic provider used when no key is configured."""

from __future__ import annotations

from services.llm._base import LLMError, LLMOutputError, LLMProvider, StructuredTask
from services.llm.offline import OfflineProvider, OfflineSolver

__all__ = [
    "LLMError",
    "LLMOutputError",
    "LLMProvider",
    "OfflineProvider",
    "OfflineSolver",
    "StructuredTask",
    "default_provider",
]


def default_provider() -> LLMProvider:
    """The provider configuration asks for; offline when no key is set."""
    # Replaced by services.llm.settings.build_provider once the SDK providers land.
    return OfflineProvider()
