"""Flags in Redis, shared by every gateway replica.

The flag set is one JSON document (``<prefix>:state``); a change is an optimistic
transaction (WATCH/MULTI) that writes the new revision, pushes an audit entry
(``<prefix>:audit``) and publishes the revision on ``<prefix>:changed``, so every replica
re-reads within a round trip. A periodic re-read covers messages missed during a
disconnect. When Redis is unreachable the last known flag set stays in force.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError, WatchError

from feature_flags.model import FlagSet
from feature_flags.stores.base import AuditEntry, Change, FlagStore, audit, next_revision

log = logging.getLogger("feature_flags.redis")
AUDIT_KEEP = 1000


class RedisStore(FlagStore):
    def __init__(self, url: str, *, prefix: str = "flags", resync_seconds: float = 5.0) -> None:
        super().__init__()
        self.redis: Redis = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.state_key, self.audit_key = f"{prefix}:state", f"{prefix}:audit"
        self.channel = f"{prefix}:changed"
        self.resync_seconds = resync_seconds
        self._task: asyncio.Task[None] | None = None
        self.connected = False

    async def refresh(self) -> None:
        """Read the shared flag set; on failure keep the last known one."""
        try:
            raw = await self.redis.get(self.state_key)
        except (RedisError, OSError) as exc:
            if self.connected:
                log.warning(
                    "redis unreachable; keeping the last known flags", extra={"error": str(exc)}
                )
            self.connected = False
            return
        self.connected = True
        self._set(FlagSet.model_validate_json(raw) if raw else FlagSet())

    async def start(self) -> None:
        await self.refresh()
        self._task = asyncio.create_task(self._follow())

    async def _follow(self) -> None:
        """Listen for changes; resubscribe after errors; re-read now and then regardless."""
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                await self.refresh()
                while True:
                    message = await pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=self.resync_seconds
                    )
                    await self.refresh()  # a message, or the periodic re-read
                    _ = message
            except (RedisError, OSError) as exc:
                if self.connected:
                    log.warning("flag subscription lost", extra={"error": str(exc)})
                self.connected = False
                await asyncio.sleep(min(self.resync_seconds, 1.0))
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.redis.aclose()

    async def update(self, change: Change, *, who: str, why: str) -> FlagSet:
        while True:
            async with self.redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(self.state_key)
                    raw = await pipe.get(self.state_key)
                    old = FlagSet.model_validate_json(raw) if raw else FlagSet()
                    new = next_revision(old, change)
                    pipe.multi()
                    pipe.set(self.state_key, new.model_dump_json())
                    pipe.lpush(self.audit_key, audit(old, new, who, why).model_dump_json())
                    pipe.ltrim(self.audit_key, 0, AUDIT_KEEP - 1)
                    pipe.publish(self.channel, json.dumps({"revision": new.revision}))
                    await pipe.execute()
                except WatchError:
                    continue  # someone else changed the flags meanwhile: apply ours on top
            self._set(new)
            return new

    async def history(self, limit: int = 50) -> list[AuditEntry]:
        raw = await self.redis.lrange(self.audit_key, 0, limit - 1)
        return [AuditEntry.model_validate_json(item) for item in raw]
