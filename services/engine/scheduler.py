"""Fires CRON triggers on schedule, once per slot even with several engine replicas.

Schedules are read in the workflow's time zone (``settings.timezone.name``, UTC when
unset or unknown). Before a due slot fires it is claimed: with ``REDIS_URL`` set, by a
Redis ``SET NX`` lock (``cron:<trigger id>@<slot>``), otherwise through the database's
idempotency table; only the replica that claims a slot fires it. A replica that was
down resumes from the next slot (missed slots are not replayed).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from bridge.errors import BridgeError
from contract.models import Trigger, TriggerType

log = logging.getLogger("engine.scheduler")
Fire = Callable[[str, Trigger, dict[str, Any]], Awaitable[object]]
CLAIM_TTL_SECONDS = 24 * 3600


class CronStore(Protocol):
    async def list_active_triggers(self, type: TriggerType) -> list[tuple[str, Trigger, str]]: ...


class SlotClaims(Protocol):
    """Decides which replica fires a slot: ``claim`` is true for exactly one caller."""

    async def claim(self, user_id: str, key: str) -> bool: ...


class DatabaseClaims:
    """Claims through the engine database's idempotency table (replicas share the DB)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    async def claim(self, user_id: str, key: str) -> bool:
        token = uuid.uuid4().hex
        return bool(await self.store.remember(user_id, "cron", key, token) == token)


class RedisClaims:
    """Claims with a Redis lock: ``SET cron:<key> <token> NX EX <ttl>``."""

    def __init__(self, redis: Any, ttl_seconds: int = CLAIM_TTL_SECONDS) -> None:
        self.redis, self.ttl = redis, ttl_seconds

    async def claim(self, user_id: str, key: str) -> bool:
        return bool(await self.redis.set(f"cron:{key}", uuid.uuid4().hex, nx=True, ex=self.ttl))


@dataclass
class _Scheduled:
    user_id: str
    trigger: Trigger
    zone: str
    slot: datetime


class CronScheduler:
    def __init__(
        self,
        store: CronStore,
        fire: Fire,
        claims: SlotClaims,
        *,
        tick_seconds: float = 1.0,
        refresh_seconds: float = 10.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store, self.fire, self.claims = store, fire, claims
        self.tick, self.refresh = tick_seconds, refresh_seconds
        self.now = now
        self._next: dict[str, _Scheduled] = {}
        self.fired = 0

    async def run(self) -> None:
        loaded_at: float | None = None
        loop = asyncio.get_running_loop()
        while True:
            if loaded_at is None or loop.time() - loaded_at >= self.refresh:
                await self.reload()
                loaded_at = loop.time()
            await self.run_due()
            await asyncio.sleep(self.tick)

    async def reload(self) -> None:
        try:
            active = await self.store.list_active_triggers(TriggerType.CRON)
        except Exception:  # a database blip must not kill the scheduler
            log.exception("could not load cron triggers")
            return
        now = self.now()
        current: dict[str, _Scheduled] = {}
        for user_id, trigger, zone in active:
            known = self._next.get(trigger.id)
            if known is not None and (known.trigger.config, known.zone) == (trigger.config, zone):
                current[trigger.id] = known
                continue
            slot = next_slot(trigger, zone, now)
            if slot is not None:
                current[trigger.id] = _Scheduled(user_id, trigger, zone, slot)
        self._next = current

    async def run_due(self) -> None:
        now = self.now()
        for trigger_id, scheduled in list(self._next.items()):
            if scheduled.slot > now:
                continue
            due = scheduled.slot
            following = next_slot(scheduled.trigger, scheduled.zone, due)
            if following is None:
                del self._next[trigger_id]
            else:
                scheduled.slot = following
            await self._fire_once(scheduled.user_id, scheduled.trigger, due)

    async def _fire_once(self, user_id: str, trigger: Trigger, slot: datetime) -> None:
        slot_ms = int(slot.timestamp() * 1000)
        if not await self.claims.claim(user_id, f"{trigger.id}@{slot_ms}"):
            return  # another replica has this slot
        payload = {"scheduled_at": slot_ms, "cron": trigger.config.get("cron", "")}
        try:
            await self.fire(user_id, trigger, payload)
            self.fired += 1
        except BridgeError as exc:  # e.g. the workflow was deactivated meanwhile
            log.warning(
                "cron trigger not fired", extra={"trigger_id": trigger.id, "reason": exc.message}
            )
        except Exception:
            log.exception("cron trigger failed", extra={"trigger_id": trigger.id})


def next_slot(trigger: Trigger, zone: str, after: datetime) -> datetime | None:
    """The first slot after ``after``, computed in the workflow's time zone."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone, using UTC", extra={"zone": zone, "trigger_id": trigger.id})
        tz = ZoneInfo("UTC")
    try:
        return next(CronSim(trigger.config.get("cron", ""), after.astimezone(tz)))
    except (CronSimError, StopIteration):
        log.warning("trigger has no valid cron schedule", extra={"trigger_id": trigger.id})
        return None
