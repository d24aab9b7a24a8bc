"""Database connection and migrations: SQLite by default, PostgreSQL via DATABASE_URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url(configured: str | None, data_dir: Path) -> str:
    """``postgres://`` and ``postgresql://`` run on asyncpg; no URL means SQLite in data_dir."""
    if not configured:
        data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{(data_dir / 'engine.db').resolve()}"
    for prefix in ("postgres://", "postgresql://"):
        if configured.startswith(prefix):
            return "postgresql+asyncpg://" + configured[len(prefix) :]
    return configured


def create_engine(url: str, *, busy_timeout_ms: int = 5000, **connect_args: Any) -> AsyncEngine:
    """``busy_timeout_ms``: how long SQLite waits for another writer's lock before the
    call fails (as UNAVAILABLE, see ``errors.py``)."""
    engine = create_async_engine(url, connect_args=connect_args)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
            # WAL lets readers run beside the writer; foreign keys are off by default.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # WAL + NORMAL never corrupts the database; it fsyncs at checkpoints rather
            # than on every commit (a power cut may lose the last commits, not the file).
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.close()

    return engine


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the latest revision (idempotent)."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)
