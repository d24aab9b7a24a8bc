"""What every flag store offers: the current flag set, changes with an audit trail, and
notification of changes (so a gateway follows a change made anywhere)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict

from feature_flags.model import FlagSet

log = logging.getLogger("feature_flags")
Change = Callable[[FlagSet], FlagSet]
Listener = Callable[[FlagSet], None]


class ReadOnlyStore(RuntimeError):
    """This store cannot be changed at runtime (the environment)."""


class AuditEntry(BaseModel):
    """Who changed what, when and why."""

    model_config = ConfigDict(frozen=True)

    who: str
    when: int
    """Epoch milliseconds."""
    why: str
    old: dict[str, Any]
    new: dict[str, Any]


def audit(old: FlagSet, new: FlagSet, who: str, why: str) -> AuditEntry:
    return AuditEntry(
        who=who, when=int(time.time() * 1000), why=why, old=old.describe(), new=new.describe()
    )


def next_revision(old: FlagSet, change: Change) -> FlagSet:
    new = change(old)
    return new.model_copy(update={"revision": old.revision + 1})


class FlagStore:
    """Base class: holds the last known flag set and tells listeners when it changes."""

    def __init__(self, initial: FlagSet | None = None) -> None:
        self._current = initial or FlagSet()
        self._listeners: list[Listener] = []

    def current(self) -> FlagSet:
        """The last known flag set (never blocks, never fails: it is what decisions use)."""
        return self._current

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _set(self, flags: FlagSet) -> None:
        if flags == self._current:
            return
        previous, self._current = self._current, flags
        log.info(
            "flags changed",
            extra={"from_revision": previous.revision, "to_revision": flags.revision},
        )
        for listener in list(self._listeners):
            listener(flags)

    async def start(self) -> None:
        """Begin following changes (file polling, Redis subscription)."""

    async def close(self) -> None:
        """Stop following changes."""

    async def update(self, change: Change, *, who: str, why: str) -> FlagSet:
        raise ReadOnlyStore(f"{type(self).__name__} cannot be changed at runtime")

    async def history(self, limit: int = 50) -> list[AuditEntry]:
        return []
