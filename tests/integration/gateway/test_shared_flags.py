"""Two gateway instances on one Redis flag store: a change made through one (or by the
rollback guard) steers the other's calls within a second."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from redis.asyncio import Redis

from feature_flags import Rule
from feature_flags import Transport as P
from gateway.app import Gateway
from gateway.settings import GatewaySettings
from tests.conftest import require_service


async def _flush(url: str) -> None:
    client = Redis.from_url(url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


def decision(gateway: Gateway) -> P:
    return gateway.router.decider.decide("workflow_engine", "GetWorkflow", "u1").transport


async def test_two_gateways_follow_one_change(tmp_path: Path) -> None:
    require_service("Redis", "127.0.0.1", 6379)
    db = "redis://127.0.0.1:6379/14"  # a database of its own: flags use fixed key names
    await _flush(db)
    settings = GatewaySettings(flags_store=db, workflow_engine_url="http://127.0.0.1:1")
    first, second = Gateway(settings), Gateway(settings)
    await first.start()
    await second.start()
    try:
        assert decision(first) is P.GRPC
        assert decision(second) is P.GRPC
        await first.flags.update(
            lambda f: f.model_copy(update={"services": {"workflow_engine": Rule(transport=P.HTTP)}}),
            who="ops", why=f"step {uuid.uuid4().hex[:4]}",
        )  # fmt: skip
        loop = asyncio.get_running_loop()
        start = loop.time()
        while decision(second) is not P.HTTP:
            assert loop.time() - start < 1.0, "the second gateway did not follow within 1 s"
            await asyncio.sleep(0.02)
        history = await second.flags.history()
        assert history[0].who == "ops"
    finally:
        await first.close()
        await second.close()
        await _flush(db)
