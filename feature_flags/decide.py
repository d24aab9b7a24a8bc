"""The per-call decision: which transport serves this call, and which one shadows it.

Cheap by construction (a few dict lookups and one CRC32): it runs on every gateway call.
Bucketing is sticky: a user's bucket is a stable hash of the service and user id, so a
user stays on one protocol across restarts, and a growing percentage only ever adds users.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

from feature_flags.model import FlagSet, Transport

BUCKETS = 10_000


@dataclass(frozen=True, slots=True)
class Decision:
    transport: Transport
    shadow: Transport | None = None
    """The protocol that also receives the call (reads only) to compare answers."""


def bucket(service: str, user_id: str) -> int:
    """0..9999, the same for the same service and user, on every replica and restart."""
    return zlib.crc32(f"{service.lower()}\x00{user_id}".encode()) % BUCKETS


class Decider:
    """Decides per call from whatever flag set the store currently holds."""

    def __init__(self, flags: Callable[[], FlagSet]) -> None:
        self._flags = flags

    def decide(self, service: str, method: str, user_id: str | None) -> Decision:
        rule = self._flags().rule_for(service, method)
        transport = rule.transport
        if rule.percent < 100:
            # Anonymous calls have no stable bucket: they take the safe (old) side.
            inside = user_id is not None and bucket(service, user_id) < rule.percent * 100
            transport = rule.transport if inside else rule.transport.other
        return Decision(transport, transport.other if rule.shadow else None)
