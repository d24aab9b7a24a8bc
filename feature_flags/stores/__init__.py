"""Where flag sets live: the environment (static), a file (hot-reloaded), Redis (shared)."""

from __future__ import annotations

from feature_flags.stores.base import AuditEntry, Change, FlagStore, ReadOnlyStore
from feature_flags.stores.env import EnvStore
from feature_flags.stores.file import FileStore
from feature_flags.stores.redis import RedisStore

__all__ = [
    "AuditEntry",
    "Change",
    "EnvStore",
    "FileStore",
    "FlagStore",
    "ReadOnlyStore",
    "RedisStore",
    "open_store",
]


def open_store(spec: str | None) -> FlagStore:
    """``FLAGS_STORE``: unset/``env`` -> EnvStore; ``file:<path>``; ``redis://...``."""
    if not spec or spec == "env":
        return EnvStore()
    if spec.startswith("file:"):
        return FileStore(spec[len("file:") :])
    if spec.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(spec)
    raise ValueError(f"FLAGS_STORE {spec!r}: expected env, file:<path> or redis://host:port/db")
