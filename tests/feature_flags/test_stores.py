"""The flag stores: file hot reload and audit; Redis shared by replicas, for real."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from feature_flags import EnvStore, FileStore, FlagSet, RedisStore, Rule, Transport, open_store
from feature_flags.stores import ReadOnlyStore
from tests.conftest import require_service


async def _eventually(check, within: float = 2.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def set_service(name: str, rule: str):  # type: ignore[no-untyped-def]
    def change(flags: FlagSet) -> FlagSet:
        return flags.model_copy(update={"services": {**flags.services, name: Rule.parse(rule)}})

    return change


async def test_env_store_is_read_only() -> None:
    store = EnvStore({"TRANSPORT": "http"})
    assert store.current().default.transport is Transport.HTTP
    with pytest.raises(ReadOnlyStore):
        await store.update(set_service("x", "grpc"), who="me", why="test")


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
async def test_file_store_hot_reloads_and_audits(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"flags{suffix}"
    path.write_text(json.dumps({"default": "grpc", "services": {"workflow_engine": "http:10"}}))
    store = open_store(f"file:{path}")
    assert isinstance(store, FileStore)
    seen: list[int] = []
    store.subscribe(lambda flags: seen.append(flags.revision))
    await store.start()
    try:
        assert str(store.current().services["workflow_engine"]) == "http:10"
        # An operator edits the file by hand: picked up within a poll.
        path.write_text(json.dumps({"services": {"workflow_engine": "http:50"}, "revision": 7}))
        await _eventually(lambda: store.current().revision == 7)
        # A change through the store: written atomically, audited, revision bumped.
        new = await store.update(set_service("workflow_agent", "http"), who="alice", why="step 2")
        assert new.revision == 8
        reread = FileStore(path)
        assert reread.current().describe() == new.describe()
        [entry] = await store.history()
        assert (entry.who, entry.why) == ("alice", "step 2")
        assert entry.old["services"] == {"workflow_engine": "http:50"}
        assert entry.new["services"] == {"workflow_agent": "http", "workflow_engine": "http:50"}
        # A broken edit keeps the last good flags.
        path.write_text("{not json")
        await asyncio.sleep(0.6)
        assert store.current().revision == 8
        assert seen == [7, 8]
    finally:
        await store.close()


@pytest.fixture
def redis_url() -> str:
    require_service("Redis", "127.0.0.1", 6379)
    return "redis://127.0.0.1:6379/0"


@pytest.fixture
async def two_replicas(redis_url: str) -> AsyncIterator[tuple[RedisStore, RedisStore]]:
    prefix = f"flags-test-{uuid.uuid4().hex[:8]}"
    a, b = RedisStore(redis_url, prefix=prefix), RedisStore(redis_url, prefix=prefix)
    await a.start()
    await b.start()
    yield a, b
    await a.redis.delete(a.state_key, a.audit_key)
    await a.close()
    await b.close()


async def test_a_change_reaches_every_replica_within_a_second(
    two_replicas: tuple[RedisStore, RedisStore],
) -> None:
    a, b = two_replicas
    start = asyncio.get_running_loop().time()
    await a.update(set_service("workflow_engine", "http:25"), who="ops", why="step 1")
    await _eventually(lambda: "workflow_engine" in b.current().services, within=1.0)
    assert asyncio.get_running_loop().time() - start < 1.0
    assert b.current().revision == 1
    [entry] = await b.history()
    assert (entry.who, entry.why, entry.new["services"]) == (
        "ops",
        "step 1",
        {"workflow_engine": "http:25"},
    )


async def test_concurrent_changes_from_two_replicas_both_apply(
    two_replicas: tuple[RedisStore, RedisStore],
) -> None:
    a, b = two_replicas
    await asyncio.gather(
        a.update(set_service("workflow_engine", "http"), who="a", why="x"),
        b.update(set_service("workflow_agent", "http:5"), who="b", why="y"),
    )
    await _eventually(lambda: a.current().revision == 2 and b.current().revision == 2)
    assert set(a.current().services) == {"workflow_engine", "workflow_agent"}
    assert len(await a.history()) == 2


class _Proxy:
    """A TCP proxy on loopback that can cut every connection (Redis 'going away')."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self, port: int = 0) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.writers += [writer, up_writer]

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.close()
        self.writers.clear()
        await self.server.wait_closed()


async def test_last_known_flags_survive_a_redis_outage(redis_url: str) -> None:
    prefix = f"flags-test-{uuid.uuid4().hex[:8]}"
    proxy = _Proxy(6379)
    await proxy.start()
    direct = RedisStore(redis_url, prefix=prefix)
    behind = RedisStore(f"redis://127.0.0.1:{proxy.port}/0", prefix=prefix, resync_seconds=0.2)
    await behind.start()
    try:
        await direct.update(set_service("workflow_engine", "http"), who="ops", why="go")
        await _eventually(lambda: behind.current().revision == 1)
        await proxy.stop()  # Redis is gone for this replica
        await asyncio.sleep(0.5)
        assert behind.current().services["workflow_engine"].transport is Transport.HTTP
        await direct.update(set_service("workflow_engine", "grpc"), who="ops", why="rollback")
        await proxy.start(proxy.port)  # and back: the replica catches up on its own
        await _eventually(lambda: behind.current().revision == 2, within=3.0)
        assert behind.current().services["workflow_engine"].transport is Transport.GRPC
    finally:
        await direct.redis.delete(direct.state_key, direct.audit_key)
        await direct.close()
        await behind.close()
        with contextlib.suppress(AssertionError):
            await proxy.stop()


def test_open_store_rejects_unknown_specs() -> None:
    with pytest.raises(ValueError, match="FLAGS_STORE"):
        open_store("consul://x")
