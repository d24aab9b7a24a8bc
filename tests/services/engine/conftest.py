"""Engine stores on both backends: SQLite in a temp dir, and the real PostgreSQL (a fresh
schema per test, dropped afterwards)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from services.engine.storage import EngineStore, create_store
from tests.conftest import require_service

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[EngineStore]:
    if request.param == "sqlite":
        engine_store = create_store(None, data_dir=tmp_path)
        await engine_store.open()
        yield engine_store
        await engine_store.close()
        return
    require_service("PostgreSQL", "127.0.0.1", 5432)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_URL)
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        engine_store = create_store(PG_URL, server_settings={"search_path": schema})
        await engine_store.open()
        yield engine_store
        await engine_store.close()
    finally:
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.close()
