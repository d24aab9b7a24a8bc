"""Providers pointed at the fake servers (``tests/fakes/llm_servers.py``), with a short
timeout and no SDK retries unless a test asks for them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.llm import AnthropicProvider, OpenAIProvider
from tests.fakes.llm_servers import FakeAnthropicServer, FakeOpenAIServer
from tests.services.llm.support import TIMEOUT


@pytest.fixture
async def openai_provider(fake_openai: FakeOpenAIServer) -> AsyncIterator[OpenAIProvider]:
    provider = OpenAIProvider(
        api_key="sk-test", base_url=fake_openai.base_url, timeout=TIMEOUT, max_retries=0
    )
    yield provider
    await provider.aclose()


@pytest.fixture
async def anthropic_provider(
    fake_anthropic: FakeAnthropicServer,
) -> AsyncIterator[AnthropicProvider]:
    provider = AnthropicProvider(
        api_key="sk-ant-test", base_url=fake_anthropic.base_url, timeout=TIMEOUT, max_retries=0
    )
    yield provider
    await provider.aclose()
