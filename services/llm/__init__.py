"""LLM providers behind one small interface (``LLMProvider``): OpenAI, Anthropic, and the
offline deterministic provider used when no key is configured.

``build_provider(LLMSettings())`` picks one from the environment (``LLM_PROVIDER``,
``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``...); see ``services/llm/README.md``.
"""

from __future__ import annotations

from services.llm._base import LLMError, LLMOutputError, LLMProvider, StructuredTask
from services.llm.anthropic_provider import AnthropicProvider
from services.llm.offline import OfflineProvider, OfflineSolver
from services.llm.openai_provider import OpenAIProvider
from services.llm.settings import LLMSettings, build_provider

__all__ = [
    "AnthropicProvider",
    "LLMError",
    "LLMOutputError",
    "LLMProvider",
    "LLMSettings",
    "OfflineProvider",
    "OfflineSolver",
    "OpenAIProvider",
    "StructuredTask",
    "build_provider",
    "default_provider",
]


def default_provider() -> LLMProvider:
    """The provider the environment asks for (``LLMSettings``); offline when no key is set.
    The caller closes it with ``aclose()``."""
    return build_provider()
