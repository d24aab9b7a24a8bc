"""The per-call transport choice: the flag decides, the other protocol backs it up.

``RoutedTransport`` is itself a Transport, so the typed clients use it unchanged. For
each call it asks the flags which protocol serves it. Reads the flags mark for shadowing
also go to the other protocol *concurrently*, with their own timeout: the caller gets the
primary's answer as soon as it is ready, and the comparison happens afterwards. Writes are
never shadowed. A connection-level failure (UNAVAILABLE) is retried once on the other
protocol when that is safe: reads, and writes that carry an idempotency key.

Streams (``stream``) follow the flag the same way, but are never shadowed, and fall over
to the other protocol only for UNAVAILABLE *before their first message* (and only when
safe, as above): once a message has reached the caller, a failure ends the stream with
the error; it is never resumed or replayed on the other protocol. The rollback guard
sees one observation per stream: its error, if any, and the time to its first message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict, deque
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel

from bridge.errors import BridgeError, DeadlineExceeded, Unavailable
from feature_flags import Decider
from feature_flags import Transport as Protocol
from gateway.capture import CallRecorder
from gateway.clients._base import CallOptions, Method, Transport
from gateway.compare import DEFAULT_IGNORED, differences
from gateway.rollback import RollbackGuard

log = logging.getLogger("gateway.routing")

MAX_CAPTURED_MESSAGES = 1000
"""A stream longer than this is not recorded (a replay compares whole answers)."""

FLAG_NAMES = {
    "contract.engine.v1.WorkflowService": "workflow_engine",
    "contract.engine.v1.TriggerService": "workflow_engine",
    "contract.agent.v1.WorkflowAgent": "workflow_agent",
    "contract.agent.v1.ConversationService": "workflow_agent",
}
"""Proto service -> the service name flags use (TRANSPORT_WORKFLOW_ENGINE...)."""


@dataclass
class Mismatch:
    method: str
    paths: list[str]


@dataclass
class RoutingStats:
    """What the routing did; the cut-over page and metrics read it."""

    calls: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    """(method, protocol) -> calls served."""
    fallbacks: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    """method -> calls that succeeded on the other protocol after UNAVAILABLE."""
    shadow_matches: int = 0
    shadow_mismatches: int = 0
    shadow_errors: int = 0
    recent_mismatches: deque[Mismatch] = field(default_factory=lambda: deque(maxlen=50))


def _comparable(answer: BaseModel | BridgeError) -> object:
    if isinstance(answer, BridgeError):
        return {"error": answer.to_http_body()["error"]}
    return answer.model_dump(mode="json")


class RoutedTransport:
    name = "routed"

    def __init__(
        self,
        decider: Decider,
        transports: Mapping[Protocol, Transport],
        *,
        flag_names: Mapping[str, str] = FLAG_NAMES,
        shadow_timeout: float = 2.0,
        ignore: frozenset[str] = DEFAULT_IGNORED,
        guard: RollbackGuard | None = None,
        capture: CallRecorder | None = None,
    ) -> None:
        self.guard = guard
        self.capture = capture
        """Records each call (the served protocol's answer) into a corpus when set."""
        self.decider = decider
        self.transports = dict(transports)
        self.flag_names = flag_names
        self.shadow_timeout = shadow_timeout
        self.ignore = ignore
        self.stats = RoutingStats()
        self._background: set[asyncio.Task[None]] = set()

    async def call(self, method: Method, request: BaseModel, options: CallOptions) -> BaseModel:
        service = self.flag_names.get(method.service, method.service)
        decision = self.decider.decide(service, method.name, options.user_id)
        shadow: asyncio.Task[BaseModel] | None = None
        if decision.shadow is not None and method.is_read:
            shadow = asyncio.create_task(
                self._shadow_call(decision.shadow, method, request, options)
            )
        try:
            result = await self._serve(decision.transport, method, request, options)
        except BridgeError as exc:
            if shadow is not None:  # the same error on both protocols is a match too
                self._keep(asyncio.create_task(self._compare(method, exc, shadow)))
            raise
        except BaseException:
            if shadow is not None:
                shadow.cancel()
            raise
        if shadow is not None:
            self._keep(asyncio.create_task(self._compare(method, result, shadow)))
        return result

    async def stream(
        self, method: Method, request: BaseModel, options: CallOptions
    ) -> AsyncGenerator[BaseModel, None]:
        service = self.flag_names.get(method.service, method.service)
        chosen = self.decider.decide(service, method.name, options.user_id).transport
        start = time.perf_counter()
        error: BaseException | None = None
        waited: float | None = None  # time to the first message (or to the failure)
        events = self.transports[chosen].stream(method, request, options)
        # What the capture records once the stream has ended (None: not recording it).
        seen: list[BaseModel] | None = [] if self.capture is not None else None
        finished = False
        try:
            try:
                first = await anext(events)
            except Unavailable as exc:
                await events.aclose()
                if not (method.is_read or options.idempotency_key):
                    raise
                if self.guard is not None:
                    self.guard.observe(service, chosen, exc, time.perf_counter() - start)
                chosen, start = chosen.other, time.perf_counter()
                log.warning(
                    "falling over to the other protocol before the stream's first message",
                    extra={"rpc": method.name, "to": chosen.value},
                )
                events = self.transports[chosen].stream(method, request, options)
                first = await anext(events)
                self.stats.fallbacks[method.name] += 1
            waited = time.perf_counter() - start
            self.stats.calls[(method.name, chosen.value)] += 1
            if seen is not None:
                seen.append(first)
            yield first
            async for item in events:
                if seen is not None and len(seen) < MAX_CAPTURED_MESSAGES:
                    seen.append(item)
                yield item
            finished = True
        except StopAsyncIteration:
            self.stats.calls[(method.name, chosen.value)] += 1  # an empty stream
            finished = True
        except BridgeError as exc:
            error = exc
            raise
        finally:
            await events.aclose()
            if self.guard is not None:
                seconds = waited if waited is not None else time.perf_counter() - start
                self.guard.observe(service, chosen, error, seconds)
            # A stream the caller stopped early has no answer to replay; a long one is cut.
            if self.capture is not None and seen is not None:
                if isinstance(error, BridgeError):
                    self.capture.record(method, request, options, chosen.value, error, start)
                elif finished and len(seen) < MAX_CAPTURED_MESSAGES:
                    self.capture.record(method, request, options, chosen.value, seen, start)

    async def _timed(
        self,
        service: str,
        protocol: Protocol,
        method: Method,
        request: BaseModel,
        options: CallOptions,
    ) -> BaseModel:
        """One call on one protocol, reported to the rollback guard."""
        start = time.perf_counter()
        error: BaseException | None = None
        try:
            return await self.transports[protocol].call(method, request, options)
        except BridgeError as exc:
            error = exc
            raise
        finally:
            if self.guard is not None:
                self.guard.observe(service, protocol, error, time.perf_counter() - start)

    async def _serve(
        self, chosen: Protocol, method: Method, request: BaseModel, options: CallOptions
    ) -> BaseModel:
        service_of = self.flag_names.get(method.service, method.service)
        started = time.perf_counter()
        try:
            try:
                result = await self._timed(service_of, chosen, method, request, options)
            except Unavailable:
                if not (method.is_read or options.idempotency_key):
                    raise  # a plain write may have been applied: never send it twice
                chosen = chosen.other
                log.warning(
                    "falling over to the other protocol",
                    extra={"rpc": method.name, "to": chosen.value},
                )
                result = await self._timed(service_of, chosen, method, request, options)
                self.stats.fallbacks[method.name] += 1
        except BridgeError as exc:
            if self.capture is not None:
                self.capture.record(method, request, options, chosen.value, exc, started)
            raise
        self.stats.calls[(method.name, chosen.value)] += 1
        if self.capture is not None:
            self.capture.record(method, request, options, chosen.value, result, started)
        return result

    async def _shadow_call(
        self, protocol: Protocol, method: Method, request: BaseModel, options: CallOptions
    ) -> BaseModel:
        async with asyncio.timeout(self.shadow_timeout):
            return await self.transports[protocol].call(method, request, options)

    async def _compare(
        self, method: Method, primary: BaseModel | BridgeError, shadow: asyncio.Task[BaseModel]
    ) -> None:
        other: BaseModel | BridgeError
        try:
            other = await shadow
        except (Unavailable, DeadlineExceeded, TimeoutError, asyncio.CancelledError):
            self.stats.shadow_errors += 1  # the shadow side was not reachable: no verdict
            return
        except BridgeError as exc:
            other = exc
        paths = differences(_comparable(primary), _comparable(other), ignore=self.ignore)
        if paths:
            self.stats.shadow_mismatches += 1
            self.stats.recent_mismatches.append(Mismatch(method.name, paths[:20]))
            log.warning("shadow mismatch", extra={"rpc": method.name, "paths": paths[:20]})
        else:
            self.stats.shadow_matches += 1

    def _keep(self, task: asyncio.Task[None]) -> None:
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def settle(self) -> None:
        """Wait for pending shadow comparisons (tests, shutdown)."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._background):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.settle()
        for transport in self.transports.values():
            await transport.aclose()
