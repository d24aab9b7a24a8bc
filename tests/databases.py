"""Engine stores for tests on both backends: SQLite in a temp dir, and the real PostgreSQL
(a fresh schema per store, dropped afterwards)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

from services.engine.storage import EngineStore, create_store
from tests.conftest import require_service

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
BACKENDS = ["sqlite", "postgres"]


@asynccontextmanager
async def engine_store(backend: str, tmp_path: Path) -> AsyncIterator[EngineStore]:
    """A migrated, empty store; ``backend`` is "sqlite" or "postgres"."""
    if backend == "sqlite":
        store = create_store(None, data_dir=tmp_path)
        await store.open()
        try:
            yield store
        finally:
            await store.close()
        return
    require_service("PostgreSQL", "127.0.0.1", 5432)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_URL)
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        store = create_store(PG_URL, server_settings={"search_path": schema})
        await store.open()
        try:
            yield store
        finally:
            await store.close()
    finally:
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.close()
