"""The drill's load generator: a separate process sending steady traffic to the gateway.

    python -m tools.drill.load --gateway URL --jwt-secret S --run RUN --out FILE [--rate 200]

Open loop (requests start on a fixed schedule whatever the answers take, like wrk2 or
k6's constant-arrival-rate): a mix of reads (GetWorkflow of a workflow the user created,
ListWorkflows) and idempotent writes (CreateWorkflow with an ``idempotency-key`` and a
unique name), as ``--users`` users with their own JWTs, through the gateway's public API.
No client retries: a failure here is a failure a user saw. Each user first creates one
workflow (the warm-up, before ``--ready`` is touched); then the timed load runs until
SIGTERM/SIGINT, lets in-flight requests finish and writes one JSON file (``LoadResult``):
totals, per-second buckets, the failures, and every write it believes was applied (user,
name), which the drill counts in the engine afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import signal
import time
from collections import defaultdict
from pathlib import Path

import aiohttp
import jwt
from pydantic import BaseModel, Field

MAX_IN_FLIGHT = 256
WRITE_SHARE = 0.3


class Bucket(BaseModel):
    second: int
    """Epoch second."""
    sent: int = 0
    ok: int = 0
    failed: int = 0
    reads: int = 0
    writes: int = 0
    max_ms: float = 0.0


class Failure(BaseModel):
    at: float
    kind: str
    status: int
    detail: str


class Write(BaseModel):
    user: str
    name: str
    key: str


class LoadResult(BaseModel):
    run: str
    rate: float
    started: float
    stopped: float
    sent: int = 0
    """Every request, the warm-up's included."""
    warm_up: int = 0
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    """Requests not sent because MAX_IN_FLIGHT were already outstanding (overload)."""
    buckets: list[Bucket] = Field(default_factory=list)
    failures: list[Failure] = Field(default_factory=list)
    writes: list[Write] = Field(default_factory=list)
    """Writes answered 201: the generator believes each is in the engine exactly once."""
    unconfirmed: list[Write] = Field(default_factory=list)
    """Writes that failed: may or may not have been applied."""

    @property
    def achieved_rate(self) -> float:
        return (self.sent - self.warm_up) / max(self.stopped - self.started, 1e-9)


def workflow_body(name: str) -> dict[str, object]:
    return {
        "name": name,
        "tags": ["drill"],
        "nodes": [
            {"id": "start", "name": "Start", "type": "TRIGGER", "subtype": "MANUAL",
             "position": {"x": 0, "y": 0}},
            {"id": "set", "name": "Set", "type": "TRANSFORM", "position": {"x": 200, "y": 0},
             "parameters": {"target": "double", "expression": "{{ $json.n * 2 }}"}},
        ],
        "connections": {"start": {"main": [{"node": "set", "type": "main", "index": 0}]}},
    }  # fmt: skip


def users_of(run: str, count: int) -> list[str]:
    return [f"drill-{run}-{i:03d}" for i in range(count)]


class LoadGenerator:
    def __init__(
        self, gateway: str, secret: str, run: str, *, rate: float, users: int, seed: int = 7
    ) -> None:
        self.gateway = gateway.rstrip("/")
        self.run = run
        self.rate = rate
        self.users = users_of(run, users)
        self.tokens = {
            user: jwt.encode({"sub": user, "exp": int(time.time()) + 24 * 3600}, secret, "HS256")
            for user in self.users
        }
        self.random = random.Random(seed)
        self.created: dict[str, list[str]] = defaultdict(list)
        """User -> ids of the workflows it created (what reads read)."""
        self.buckets: dict[int, Bucket] = {}
        self.result = LoadResult(run=run, rate=rate, started=time.time(), stopped=0.0)
        self._seq = 0
        self._in_flight: set[asyncio.Task[None]] = set()
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run_until_stopped(self, ready: Path | None = None) -> LoadResult:
        connector = aiohttp.TCPConnector(limit=MAX_IN_FLIGHT)
        timeout = aiohttp.ClientTimeout(total=15)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            await self.warm_up(session)
            if ready is not None:
                await asyncio.to_thread(ready.touch)
            self.result.started = time.time()
            start = time.perf_counter()
            sent = 0
            while not self._stop.is_set():
                due = start + sent / self.rate
                delay = due - time.perf_counter()
                if delay > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), delay)
                    continue
                sent += 1
                if len(self._in_flight) >= MAX_IN_FLIGHT:
                    self.result.skipped += 1
                    continue
                task = asyncio.create_task(self._one(session))
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)
            if self._in_flight:
                await asyncio.wait(list(self._in_flight), timeout=20)
        self.result.stopped = time.time()
        self.result.buckets = [self.buckets[k] for k in sorted(self.buckets)]
        return self.result

    async def warm_up(self, session: aiohttp.ClientSession, concurrency: int = 8) -> None:
        """Each user creates its first workflow (so reads have something to read) before
        the timed load starts; these are writes like any other, counted the same way."""
        queue = list(self.users)

        async def worker() -> None:
            while queue:
                await self._request(session, queue.pop(), write=True)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        self.result.warm_up = self.result.sent

    async def _one(self, session: aiohttp.ClientSession) -> None:
        user = self.random.choice(self.users)
        write = self.random.random() < WRITE_SHARE or not self.created[user]
        await self._request(session, user, write=write)

    async def _request(self, session: aiohttp.ClientSession, user: str, *, write: bool) -> None:
        headers = {"authorization": f"Bearer {self.tokens[user]}"}
        began = time.time()
        bucket = self.buckets.setdefault(int(began), Bucket(second=int(began)))
        bucket.sent += 1
        self.result.sent += 1
        status, detail = 0, ""
        item: Write | None = None
        try:
            if write:
                bucket.writes += 1
                self._seq += 1
                item = Write(user=user, name=f"w-{self._seq:06d}", key=f"{self.run}-{self._seq}")
                headers["idempotency-key"] = item.key
                async with session.post(
                    f"{self.gateway}/api/app/workflows", json=workflow_body(item.name),
                    headers=headers,
                ) as reply:  # fmt: skip
                    status = reply.status
                    raw = await reply.read()
                if status == 201:
                    self.created[user].append(json.loads(raw)["workflow"]["id"])
                else:
                    detail = raw[:300].decode(errors="replace")
            else:
                bucket.reads += 1
                if self.random.random() < 0.8:
                    workflow_id = self.random.choice(self.created[user])
                    url = f"{self.gateway}/api/app/workflows/{workflow_id}"
                else:
                    url = f"{self.gateway}/api/app/workflows?limit=5&active_only=false"
                async with session.get(url, headers=headers) as reply:
                    status = reply.status
                    detail = "" if status == 200 else (await reply.text())[:300]
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            detail = f"{type(exc).__name__}: {exc}"[:300]
        elapsed_ms = (time.time() - began) * 1000
        bucket.max_ms = max(bucket.max_ms, round(elapsed_ms, 1))
        ok = status in (200, 201)
        if ok:
            bucket.ok += 1
            self.result.ok += 1
            if item is not None:
                self.result.writes.append(item)
            return
        bucket.failed += 1
        self.result.failed += 1
        if item is not None:
            self.result.unconfirmed.append(item)
        if len(self.result.failures) < 200:
            kind = "write" if write else "read"
            self.result.failures.append(Failure(at=began, kind=kind, status=status, detail=detail))


async def _main(args: argparse.Namespace) -> None:
    generator = LoadGenerator(
        args.gateway, args.jwt_secret, args.run, rate=args.rate, users=args.users
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, generator.stop)
    result = await generator.run_until_stopped(Path(args.ready) if args.ready else None)
    await asyncio.to_thread(Path(args.out).write_text, result.model_dump_json())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--jwt-secret", required=True)
    parser.add_argument("--run", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--ready", default="", help="file touched once the timed load starts")
    args = parser.parse_args(argv)
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
        asyncio.run(_main(args))
    else:
        uvloop.run(_main(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
