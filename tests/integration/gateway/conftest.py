"""Fixtures of the gateway integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.gateway.stack import Stack, running_stack


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    """Engine, agent (offline LLM) and gateway on loopback; tokens from ``stack.token``."""
    async with running_stack(tmp_path) as running:
        yield running
