"""Fires CRON triggers on schedule (UTC), once per slot even with several engine replicas.

Each due slot is claimed through the idempotency table (key ``<trigger id>@<slot>``)
before it fires, so replicas sharing a database never start the same run twice; a
replica that was down simply resumes from the next slot (missed slots are not replayed).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from cronsim import CronSim, CronSimError

from bridge.errors import BridgeError
from contract.models import Trigger, TriggerType

log = logging.getLogger("engine.scheduler")
Fire = Callable[[str, Trigger, dict[str, Any]], Awaitable[object]]


class CronStore(Protocol):
    async def list_active_triggers(self, type: TriggerType) -> list[tuple[str, Trigger]]: ...
    async def remember(self, user_id: str, method: str, key: str, response_json: str) -> str: ...


class CronScheduler:
    def __init__(
        self,
        store: CronStore,
        fire: Fire,
        *,
        tick_seconds: float = 1.0,
        refresh_seconds: float = 10.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store, self.fire = store, fire
        self.tick, self.refresh = tick_seconds, refresh_seconds
        self.now = now
        self._next: dict[str, tuple[str, Trigger, datetime]] = {}
        self.fired = 0

    async def run(self) -> None:
        loaded_at: float | None = None
        loop = asyncio.get_running_loop()
        while True:
            if loaded_at is None or loop.time() - loaded_at >= self.refresh:
                await self._reload()
                loaded_at = loop.time()
            await self.run_due()
            await asyncio.sleep(self.tick)

    async def _reload(self) -> None:
        try:
            active = await self.store.list_active_triggers(TriggerType.CRON)
        except Exception:  # a database blip must not kill the scheduler
            log.exception("could not load cron triggers")
            return
        now = self.now()
        current: dict[str, tuple[str, Trigger, datetime]] = {}
        for user_id, trigger in active:
            known = self._next.get(trigger.id)
            if known is not None and known[1].config == trigger.config:
                current[trigger.id] = (user_id, trigger, known[2])
                continue
            slot = _next_slot(trigger, now)
            if slot is not None:
                current[trigger.id] = (user_id, trigger, slot)
        self._next = current

    async def run_due(self) -> None:
        now = self.now()
        for trigger_id, (user_id, trigger, slot) in list(self._next.items()):
            if slot > now:
                continue
            following = _next_slot(trigger, slot)
            if following is None:
                del self._next[trigger_id]
            else:
                self._next[trigger_id] = (user_id, trigger, following)
            await self._fire_once(user_id, trigger, slot)

    async def _fire_once(self, user_id: str, trigger: Trigger, slot: datetime) -> None:
        token = uuid.uuid4().hex
        slot_ms = int(slot.timestamp() * 1000)
        key = f"{trigger.id}@{slot_ms}"
        if await self.store.remember(user_id, "cron", key, token) != token:
            return  # another replica has this slot
        try:
            await self.fire(
                user_id, trigger, {"scheduled_at": slot_ms, "cron": trigger.config["cron"]}
            )
            self.fired += 1
        except BridgeError as exc:  # e.g. the workflow was deactivated meanwhile
            log.warning(
                "cron trigger not fired", extra={"trigger_id": trigger.id, "reason": exc.message}
            )
        except Exception:
            log.exception("cron trigger failed", extra={"trigger_id": trigger.id})


def _next_slot(trigger: Trigger, after: datetime) -> datetime | None:
    try:
        return next(CronSim(trigger.config.get("cron", ""), after))
    except (CronSimError, StopIteration):
        log.warning("trigger has no valid cron schedule", extra={"trigger_id": trigger.id})
        return None
