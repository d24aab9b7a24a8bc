"""Apply a write once per idempotency key, whichever protocol (or retry) it arrives on.

The first call claims the key (a unique row), does the write and stores its response;
a repeat, even one racing the first on the other protocol, waits for that response and
returns it instead of writing again. Keys are scoped by user and method.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from pydantic import BaseModel

from bridge.context import CallContext
from bridge.errors import Aborted, BridgeError

R = TypeVar("R", bound=BaseModel)
PENDING = "pending:"


class IdempotencyStore(Protocol):
    """The part of EngineStore this module uses."""

    async def remember(self, user_id: str, method: str, key: str, response_json: str) -> str: ...
    async def complete(self, user_id: str, method: str, key: str, response_json: str) -> None: ...
    async def forget(self, user_id: str, method: str, key: str) -> None: ...
    async def lookup(self, user_id: str, method: str, key: str) -> str | None: ...


async def once(
    store: IdempotencyStore,
    ctx: CallContext,
    user_id: str,
    response_type: type[R],
    write: Callable[[], Awaitable[R]],
    *,
    wait_seconds: float = 10.0,
) -> R:
    """Run ``write`` once for ``ctx.idempotency_key`` (or always, when there is none)."""
    key = ctx.idempotency_key
    if key is None:
        return await write()
    method = ctx.method
    claim = f"{PENDING}{uuid.uuid4().hex}"
    stored: str | None = await store.remember(user_id, method, key, claim)
    if stored == claim:
        try:
            response = await write()
        except BridgeError:
            # A refused write applied nothing: free the key so a corrected retry can run.
            await store.forget(user_id, method, key)
            raise
        except BaseException:
            await asyncio.shield(store.forget(user_id, method, key))
            raise
        await store.complete(user_id, method, key, response.model_dump_json())
        return response
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while stored is not None and stored.startswith(PENDING):
        if asyncio.get_running_loop().time() > deadline:
            raise Aborted(f"a call with idempotency key {key!r} is still in progress; retry later")
        await asyncio.sleep(0.05)
        stored = await store.lookup(user_id, method, key)
    if stored is None:  # the first attempt failed and released the key: try ours
        return await once(store, ctx, user_id, response_type, write, wait_seconds=wait_seconds)
    return response_type.model_validate_json(stored)
