"""Engine persistence: SQLAlchemy 2 async over SQLite (default) or PostgreSQL, with alembic."""

from services.engine.storage.repository import EngineStore, VersionConflict, create_store

__all__ = ["EngineStore", "VersionConflict", "create_store"]
