"""Alembic environment: run with the connection handed over by ``storage.db.migrate``."""

from __future__ import annotations

from alembic import context

from services.engine.storage.tables import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
