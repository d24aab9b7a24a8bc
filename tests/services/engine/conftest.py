"""The engine store fixture, on both backends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.engine.storage import EngineStore
from tests.databases import BACKENDS, engine_store


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[EngineStore]:
    async with engine_store(request.param, tmp_path) as opened:
        yield opened
