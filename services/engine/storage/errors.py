"""What a storage failure means to a caller.

A database that is busy (SQLite's lock wait ran out) or unreachable (PostgreSQL
restarting, a dropped connection, an exhausted pool) is a transient condition, not a bug:
the call is UNAVAILABLE (503), which callers may retry when it is safe (reads, and writes
with an idempotency key: nothing was committed, or the key makes the retry apply once).
Anything else stays INTERNAL.
"""

from __future__ import annotations

from sqlalchemy import exc as sa

from bridge.errors import BridgeError, Unavailable

TRANSIENT = (sa.OperationalError, sa.InterfaceError, sa.TimeoutError)
"""OperationalError: "database is locked", connection lost, server shutting down;
InterfaceError: the connection is closed; TimeoutError: no pooled connection in time."""


def translate_storage_errors(exc: Exception) -> BridgeError | None:
    if isinstance(exc, TRANSIENT) or (
        isinstance(exc, sa.DBAPIError) and exc.connection_invalidated
    ):
        return Unavailable("the database is busy or unreachable; retry the call")
    if isinstance(exc, ConnectionError):  # refused or reset before the driver wrapped it
        return Unavailable("the database is unreachable; retry the call")
    return None
