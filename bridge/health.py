"""One health state for both protocols: ``grpc.health.v1.Health`` and ``GET /health``.

Health is the service's own state (serving, or draining during shutdown) plus its
dependencies (database, Redis...), each an async check that raises when unhealthy.
Both protocols read the same evaluation; the gRPC servicer is updated whenever the
state changes, so ``Watch`` streams see changes too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from grpc_health.v1 import health_pb2
from grpc_health.v1._async import HealthServicer

Check = Callable[[], Awaitable[object]]
SERVING = "SERVING"
NOT_SERVING = "NOT_SERVING"


@dataclass(frozen=True, slots=True)
class HealthReport:
    status: str
    checks: Mapping[str, str] = field(default_factory=dict)
    """Per dependency: "ok" or the error that made it fail."""

    @property
    def serving(self) -> bool:
        return self.status == SERVING

    def as_json(self) -> dict[str, object]:
        return {"status": self.status, "checks": dict(self.checks)}


class HealthState:
    """Evaluates dependency checks (bounded in time, briefly cached) and the drain flag."""

    def __init__(
        self,
        checks: Mapping[str, Check] | None = None,
        *,
        timeout: float = 2.0,
        cache_seconds: float = 1.0,
    ) -> None:
        self.checks = dict(checks or {})
        self.timeout = timeout
        self.cache_seconds = cache_seconds
        self.draining = False
        self._last: tuple[float, HealthReport] | None = None
        self._lock = asyncio.Lock()
        self._servicers: list[tuple[HealthServicer, Sequence[str]]] = []

    def attach(self, servicer: HealthServicer, services: Sequence[str]) -> None:
        """Keep a gRPC health servicer in step with this state ("" plus each service)."""
        self._servicers.append((servicer, ["", *services]))

    async def evaluate(self, *, fresh: bool = False) -> HealthReport:
        async with self._lock:
            now = time.monotonic()
            if not fresh and self._last is not None and now - self._last[0] < self.cache_seconds:
                return self._last[1]
            report = await self._run_checks()
            changed = self._last is None or self._last[1].status != report.status
            self._last = (now, report)
        if changed:
            await self._publish(report)
        return report

    async def start_draining(self) -> None:
        """Readiness goes NOT_SERVING at once on both protocols (load balancers stop sending)."""
        self.draining = True
        await self.evaluate(fresh=True)

    def stop_draining(self) -> None:
        self.draining = False
        self._last = None

    async def _run_checks(self) -> HealthReport:
        results = await asyncio.gather(*(self._check(c) for c in self.checks.values()))
        checks = dict(zip(self.checks, results, strict=True))
        ok = not self.draining and all(v == "ok" for v in checks.values())
        if self.draining:
            checks = {"draining": "shutting down", **checks}
        return HealthReport(SERVING if ok else NOT_SERVING, checks)

    async def _check(self, check: Check) -> str:
        try:
            async with asyncio.timeout(self.timeout):
                await check()
        except TimeoutError:
            return f"timed out after {self.timeout}s"
        except Exception as exc:  # a failing dependency is a result, not a crash
            return f"{type(exc).__name__}: {exc}"[:300]
        return "ok"

    async def _publish(self, report: HealthReport) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if report.serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for servicer, names in self._servicers:
            for name in names:
                await servicer.set(name, status)

    async def watch(self, interval: float) -> None:
        """Re-evaluate forever (a background task): dependency changes reach gRPC Watch."""
        while True:
            await self.evaluate(fresh=True)
            await asyncio.sleep(interval)
