"""Automatic rollback: when the new protocol misbehaves, send the service back to gRPC.

The guard keeps a sliding window per (service, protocol) of call outcomes and latencies.
When HTTP (the protocol being migrated to) breaches a threshold for a service — an error
rate above ``error_rate`` over at least ``min_calls`` calls in ``window_seconds``, or a
p99 above ``p99_ratio`` times gRPC's over the span both protocols served in (so only while
both carry traffic: at 100% HTTP only errors count) — it writes the rollback through the
flag store, so every gateway replica follows, and records why. Only server-side failures count (an
UNAVAILABLE or INTERNAL is the protocol's fault; a NOT_FOUND is the caller's).
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bridge.errors import BridgeError, Code
from feature_flags import FlagSet, FlagStore, Rule, Transport

log = logging.getLogger("gateway.rollback")
LATENCY_CHECK_SECONDS = 0.25
MIN_SLOW_CALLS = 5
SERVER_FAULTS = frozenset(
    {Code.UNAVAILABLE, Code.INTERNAL, Code.UNKNOWN, Code.DEADLINE_EXCEEDED, Code.DATA_LOSS}
)


def is_fault(error: BaseException | None) -> bool:
    return isinstance(error, BridgeError) and error.code in SERVER_FAULTS


@dataclass(frozen=True, slots=True)
class Thresholds:
    error_rate: float = 0.05
    min_calls: int = 20
    window_seconds: float = 30.0
    p99_ratio: float = 3.0


@dataclass(frozen=True, slots=True)
class RollbackRecord:
    when: float
    """Epoch seconds."""
    service: str
    reason: str


@dataclass
class _Window:
    """Calls of the last ``horizon`` seconds, with a running failure count: adding a call
    and reading the error rate cost O(1) however busy the gateway is."""

    calls: deque[tuple[float, bool, float]] = field(default_factory=deque)
    """(monotonic time, failed, seconds)."""
    failures: int = 0

    def add(self, now: float, failed: bool, seconds: float, horizon: float) -> None:
        self.calls.append((now, failed, seconds))
        self.failures += failed
        while self.calls and self.calls[0][0] < now - horizon:
            self.failures -= self.calls.popleft()[1]

    def error_rate(self) -> float:
        return self.failures / len(self.calls) if self.calls else 0.0

    def p99(self, since: float = float("-inf"), until: float = float("inf")) -> float:
        return _p99(self.latencies(since, until))

    def latencies(self, since: float = float("-inf"), until: float = float("inf")) -> list[float]:
        """Seconds of the successful calls made between ``since`` and ``until``."""
        return [s for at, failed, s in self.calls if not failed and since <= at <= until]


def _p99(latencies: list[float]) -> float:
    if len(latencies) < 2:
        return latencies[0] if latencies else 0.0
    return statistics.quantiles(latencies, n=100)[98]


class RollbackGuard:
    def __init__(
        self,
        store: FlagStore,
        thresholds: Thresholds | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.thresholds = thresholds or Thresholds()
        self.clock = clock
        self.windows: dict[tuple[str, Transport], _Window] = {}
        self.history: deque[RollbackRecord] = deque(maxlen=100)
        self._pending: set[str] = set()
        self._latency_checked: dict[str, float] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._rolled_back_at: dict[str, float] = {}

    def observe(
        self, service: str, transport: Transport, error: BaseException | None, seconds: float
    ) -> None:
        now = self.clock()
        if transport is Transport.HTTP and now - seconds < self._rolled_back_at.get(service, -1e18):
            # It began before the last rollback: part of that incident, already acted on. Left
            # in, a call that drained slowly from the closing listener would count against
            # the next walk forward.
            return
        window = self.windows.setdefault((service, transport), _Window())
        window.add(now, is_fault(error), seconds, self.thresholds.window_seconds)
        if transport is Transport.HTTP:
            reason = self._breach(service, window)
            if reason is not None:
                self._roll_back(service, reason)

    def _breach(self, service: str, window: _Window) -> str | None:
        t = self.thresholds
        if len(window.calls) < t.min_calls:
            return None
        rate = window.error_rate()
        if rate > t.error_rate:
            calls = len(window.calls)
            return f"HTTP error rate {rate:.0%} over {calls} calls (limit {t.error_rate:.0%})"
        # Percentiles sort the window: compare them at most every LATENCY_CHECK_SECONDS.
        now = self.clock()
        if now - self._latency_checked.get(service, float("-inf")) < LATENCY_CHECK_SECONDS:
            return None
        self._latency_checked[service] = now
        baseline = self.windows.get((service, Transport.GRPC))
        if baseline is None or not baseline.calls:
            return None
        # Compare the two protocols over the span both served in, never HTTP now with gRPC
        # some time ago: at 100% HTTP gRPC's calls stop, and a machine-wide slowdown after
        # that (CPU contention, a GC pause) would look like HTTP's fault. The drill saw it.
        since = max(window.calls[0][0], baseline.calls[0][0])
        until = min(window.calls[-1][0], baseline.calls[-1][0])
        http_latencies = window.latencies(since, until)
        grpc_latencies = baseline.latencies(since, until)
        if min(len(http_latencies), len(grpc_latencies)) < t.min_calls:
            return None
        http_p99, grpc_p99 = _p99(http_latencies), _p99(grpc_latencies)
        limit = t.p99_ratio * grpc_p99
        # The p99 of a few dozen calls is their slowest one or two (say, new connections
        # after a listener came back): a breach needs MIN_SLOW_CALLS calls over the limit.
        slow = sum(1 for seconds in http_latencies if seconds > limit)
        if grpc_p99 > 0 and http_p99 > limit and slow >= MIN_SLOW_CALLS:
            return (
                f"HTTP p99 {http_p99 * 1000:.1f} ms is over {t.p99_ratio:g}x "
                f"gRPC's {grpc_p99 * 1000:.1f} ms"
            )
        return None

    def _roll_back(self, service: str, reason: str) -> None:
        rule = self.store.current().rule_for(service, "")
        sends_http = rule.transport is Transport.HTTP or rule.percent < 100
        if service in self._pending or not sends_http:
            return
        self._pending.add(service)
        task = asyncio.create_task(self._write(service, reason))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _write(self, service: str, reason: str) -> None:
        def change(flags: FlagSet) -> FlagSet:
            prefix = f"{service}/"
            methods = {k: v for k, v in flags.methods.items() if not k.startswith(prefix)}
            return flags.model_copy(
                update={"services": {**flags.services, service: Rule()}, "methods": methods}
            )

        try:
            await self.store.update(change, who="auto-rollback", why=reason)
            self.history.append(RollbackRecord(time.time(), service, reason))
            self.windows.pop((service, Transport.HTTP), None)
            self._rolled_back_at[service] = self.clock()
            log.error("rolled back to gRPC", extra={"service": service, "reason": reason})
        finally:
            self._pending.discard(service)

    async def settle(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
