"""The rollback drill: walk the cutover under load, switch HTTP off, measure the way back.

Sequence (``Plan``): load starts with the engine on gRPC; the flag walks 10 -> 50 -> 100%
HTTP through the flag store; the engine's HTTP listener is switched off through its admin
API (the fault); the drill waits for the gateway's RollbackGuard to write ``grpc`` into
the flag store by itself, holds with the fault still on, switches the listener back on
and walks forward again. Meanwhile it samples the gateway's /admin/cutover (calls per
protocol, fall-overs, flags, rollbacks) four times a second.

Verdict: the rollback happened (and only after the fault), within ``Targets.rollback_seconds``
of it, no user request failed, and every write the load generator was told succeeded is in
the engine exactly once (counted through the engine's own API, user by user).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import httpx
from pydantic import BaseModel, Field

from bridge.admin.v1 import admin_pb2, admin_pb2_grpc
from contract import models as m
from feature_flags import FlagSet, FlagStore, Rule, open_store
from gateway.clients import CallOptions, GrpcTransport, WorkflowClient
from tools.drill.load import LoadResult, users_of
from tools.drill.stack import Endpoints

SERVICE = "workflow_engine"
SAMPLE_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[int, ...] = (10, 50, 100)
    step_seconds: float = 15.0
    """Hold at each step (and at 0% before the walk)."""
    fault_hold_seconds: float = 10.0
    """Hold on gRPC with the fault still on, after the rollback."""
    restored_hold_seconds: float = 5.0
    rollback_timeout: float = 30.0
    rate: float = 200.0
    users: int = 100

    @classmethod
    def short(cls) -> Plan:
        return cls(step_seconds=3.0, fault_hold_seconds=3.0, restored_hold_seconds=2.0)


@dataclass(frozen=True, slots=True)
class Targets:
    rollback_seconds: float = 5.0
    failed_requests: int = 0
    lost_writes: int = 0
    duplicated_writes: int = 0


class Sample(BaseModel):
    at: float
    rule: str
    calls: dict[str, int]
    """Protocol -> engine calls served so far (cumulative)."""
    fallbacks: int
    rollbacks: list[dict[str, Any]]


class Event(BaseModel):
    at: float
    what: str
    kind: str = "info"
    """info | step | fault | rollback | restore | problem"""


class DrillReport(BaseModel):
    verdict: str
    failed_requests: int
    lost_writes: int
    duplicated_writes: int
    rollback_seconds: float | None
    rollback_reason: str = ""
    requests: int
    target_rate: float
    achieved_rate: float
    skipped_requests: int
    writes_believed: int
    unconfirmed_writes: int
    unconfirmed_applied: int
    """Writes whose answer was an error but which the engine holds (once each)."""
    fallbacks: int
    problems: list[str] = Field(default_factory=list)
    timeline: list[Event] = Field(default_factory=list)
    samples: list[Sample] = Field(default_factory=list)
    load: LoadResult | None = None
    started: float
    seconds: float
    lb: dict[str, Any] | None = None
    """``--lb``: the load-balancer part (tools/drill/lb.py's LbReport)."""
    chart: str | None = None
    report: str | None = None


@dataclass
class _State:
    samples: list[Sample] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _summarise(report: dict[str, Any]) -> Sample:
    calls: Counter[str] = Counter()
    for entry in report["calls"]:
        calls[entry["protocol"]] += entry["count"]
    flags = FlagSet.model_validate(
        {k: v for k, v in report["flags"].items() if k in FlagSet.model_fields}
    )
    return Sample(
        at=time.time(),
        rule=str(flags.rule_for(SERVICE, "")),
        calls=dict(calls),
        fallbacks=sum(report["fallbacks"].values()),
        rollbacks=[r for r in report["rollbacks"] if r["service"] == SERVICE],
    )


class Drill:
    def __init__(
        self,
        endpoints: Endpoints,
        plan: Plan,
        *,
        out_dir: Path,
        on_event: Callable[[Event], None] = lambda event: None,
    ) -> None:
        self.endpoints = endpoints
        self.plan = plan
        self.out_dir = out_dir
        self.on_event = on_event
        self.run = uuid.uuid4().hex[:6]
        self.started = time.time()
        self.state = _State()
        self._http = httpx.AsyncClient(
            base_url=endpoints.gateway_url,
            headers={"authorization": f"Bearer {endpoints.admin_token}"},
            timeout=5,
        )

    # -- what the drill does -------------------------------------------------------------

    async def execute(self) -> DrillReport:
        started = self.started
        store = open_store(self.endpoints.flags_store)
        await store.start()
        sampler: asyncio.Task[None] | None = None
        load: asyncio.subprocess.Process | None = None
        result_file = self.out_dir / f"load-{self.run}.json"
        rollback: dict[str, Any] | None = None
        try:
            await self._set(store, "grpc", "drill: start on gRPC")
            load = await self._start_load(result_file)
            sampler = asyncio.create_task(self._sample_forever())
            self._event("load started", "info")
            await asyncio.sleep(self.plan.step_seconds)
            await self._walk(store)
            if _summarise(await self._cutover()).rule != "http":  # rolled back too early
                await self._set(store, "http", f"drill {self.run}: back to 100% for the fault")
                self._event(f"flag {SERVICE} = http (again, for the fault)", "step")
            rollback = await self._fault_and_rollback()
            await asyncio.sleep(self.plan.fault_hold_seconds)
            await self._listener(True)
            self._event("HTTP listener back on (restored)", "restore")
            await asyncio.sleep(self.plan.restored_hold_seconds)
            await self._walk(store, again=True)
        finally:
            if load is not None:
                await self._stop_load(load)
            if sampler is not None:
                sampler.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sampler
            await store.close()
            await self._http.aclose()
        result = LoadResult.model_validate_json(await asyncio.to_thread(result_file.read_text))
        counted = await self._count_writes()
        return self._report(started, result, counted, rollback)

    async def _walk(self, store: FlagStore, *, again: bool = False) -> None:
        known = self._rollbacks()
        for percent in self.plan.steps:
            rule = "http" if percent == 100 else f"http:{percent}"
            label = "walk forward again" if again else "walk"
            await self._set(store, rule, f"drill {self.run}: {label} to {percent}% HTTP")
            self._event(f"flag {SERVICE} = {rule}", "step")
            await asyncio.sleep(self.plan.step_seconds)
            if self._rollbacks() > known:
                when = "after the restore" if again else "before the fault"
                self._problem(f"unexpected automatic rollback {when} (at {rule})")
                return

    async def _fault_and_rollback(self) -> dict[str, Any] | None:
        before = self._rollbacks()
        fault_at = time.time()
        self._event("fault: switching the engine's HTTP listener off", "fault")
        await self._listener(False)
        self._event("engine HTTP listener is off (in-flight calls drained)", "info")
        deadline = time.monotonic() + self.plan.rollback_timeout
        while time.monotonic() < deadline:
            sample = _summarise(await self._cutover())
            if len(sample.rollbacks) > before and sample.rule == "grpc":
                record = sample.rollbacks[-1]
                self.state.events.append(
                    Event(at=record["when"], what=f"auto-rollback: {record['reason']}",
                          kind="rollback")
                )  # fmt: skip
                self.on_event(self.state.events[-1])
                record["fault_at"] = fault_at
                return record
            await asyncio.sleep(0.05)
        self._problem(f"no automatic rollback within {self.plan.rollback_timeout:.0f}s")
        return None

    # -- the stack -----------------------------------------------------------------------

    async def _set(self, store: FlagStore, rule: str, why: str) -> None:
        parsed = Rule.parse(rule)

        def change(flags: FlagSet) -> FlagSet:
            return flags.model_copy(update={"services": {**flags.services, SERVICE: parsed}})

        await store.update(change, who="drill", why=why)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # the gateway follows the store within ~0.25 s
            if _summarise(await self._cutover()).rule == str(parsed):
                return
            await asyncio.sleep(0.05)
        raise RuntimeError(f"the gateway did not take flag {rule!r} within 5 s")

    async def _cutover(self) -> dict[str, Any]:
        reply = await self._http.get("/admin/cutover")
        reply.raise_for_status()
        data: dict[str, Any] = reply.json()
        return data

    async def _listener(self, enabled: bool) -> None:
        metadata = []
        if self.endpoints.service_token:
            metadata.append(("authorization", f"Bearer {self.endpoints.service_token}"))
        async with grpc.aio.insecure_channel(self.endpoints.engine_grpc) as channel:
            await admin_pb2_grpc.BridgeAdminStub(channel).SetListener(
                admin_pb2.SetListenerRequest(protocol=admin_pb2.PROTOCOL_HTTP, enabled=enabled),
                timeout=15,
                metadata=metadata,
            )

    async def _sample_forever(self) -> None:
        while True:
            with contextlib.suppress(httpx.HTTPError):
                self.state.samples.append(_summarise(await self._cutover()))
            await asyncio.sleep(SAMPLE_SECONDS)

    def _rollbacks(self) -> int:
        return len(self.state.samples[-1].rollbacks) if self.state.samples else 0

    # -- the load ------------------------------------------------------------------------

    async def _start_load(self, result_file: Path) -> asyncio.subprocess.Process:
        ready = self.out_dir / f"load-{self.run}.ready"
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tools.drill.load",
            "--gateway", self.endpoints.gateway_url, "--jwt-secret", self.endpoints.jwt_secret,
            "--run", self.run, "--out", str(result_file), "--rate", str(self.plan.rate),
            "--users", str(self.plan.users), "--ready", str(ready),
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )  # fmt: skip

        async def started() -> bool:
            if proc.returncode is not None:
                raise RuntimeError(f"the load generator exited with code {proc.returncode}")
            return await asyncio.to_thread(ready.exists)

        await _until(started, 60, "the load generator's warm-up")
        return proc

    async def _stop_load(self, proc: asyncio.subprocess.Process) -> None:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            proc.kill()
            await proc.wait()
        self._event("load stopped", "info")

    async def _count_writes(self) -> Counter[tuple[str, str]]:
        """(user, workflow name) -> how many the engine holds, read through its own API."""
        counted: Counter[tuple[str, str]] = Counter()
        token = self.endpoints.service_token
        client = WorkflowClient(GrpcTransport(self.endpoints.engine_grpc, service_token=token))
        try:
            for user in users_of(self.run, self.plan.users):
                offset = 0
                while True:
                    page = await client.list_workflows(
                        m.ListWorkflowsRequest(
                            user_id=user, active_only=False, limit=500, offset=offset
                        ),
                        CallOptions(user_id=user),
                    )
                    counted.update((user, w.name) for w in page.workflows)
                    offset += len(page.workflows)
                    if not page.has_more:
                        break
        finally:
            await client.transport.aclose()
        return counted

    # -- the verdict ---------------------------------------------------------------------

    def _report(
        self,
        started: float,
        load: LoadResult,
        counted: Counter[tuple[str, str]],
        rollback: dict[str, Any] | None,
    ) -> DrillReport:
        believed = Counter((w.user, w.name) for w in load.writes)
        lost = sum(1 for key in believed if counted[key] == 0)
        duplicated = sum(n - 1 for n in counted.values() if n > 1)
        unconfirmed_applied = sum(1 for w in load.unconfirmed if counted[(w.user, w.name)])
        seconds = None if rollback is None else round(rollback["when"] - rollback["fault_at"], 3)
        targets = Targets()
        problems = list(self.state.problems)
        if seconds is None:
            problems.append("the gateway did not roll back")
        elif seconds > targets.rollback_seconds:
            problems.append(f"rollback took {seconds:.2f}s (target {targets.rollback_seconds}s)")
        if load.failed > targets.failed_requests:
            problems.append(f"{load.failed} user requests failed")
        if lost:
            problems.append(f"{lost} writes lost")
        if duplicated:
            problems.append(f"{duplicated} writes duplicated")
        if load.skipped:
            problems.append(f"{load.skipped} requests not sent (load generator overloaded)")
        last = self.state.samples[-1] if self.state.samples else None
        return DrillReport(
            verdict="fail" if problems else "pass",
            failed_requests=load.failed,
            lost_writes=lost,
            duplicated_writes=duplicated,
            rollback_seconds=seconds,
            rollback_reason="" if rollback is None else str(rollback["reason"]),
            requests=load.sent,
            target_rate=self.plan.rate,
            achieved_rate=round(load.achieved_rate, 1),
            skipped_requests=load.skipped,
            writes_believed=len(load.writes),
            unconfirmed_writes=len(load.unconfirmed),
            unconfirmed_applied=unconfirmed_applied,
            fallbacks=last.fallbacks if last else 0,
            problems=problems,
            timeline=sorted(self.state.events, key=lambda e: e.at),
            samples=self.state.samples,
            load=load,
            started=started,
            seconds=round(time.time() - started, 1),
        )

    def _event(self, what: str, kind: str) -> None:
        event = Event(at=time.time(), what=what, kind=kind)
        self.state.events.append(event)
        self.on_event(event)

    def _problem(self, what: str) -> None:
        self.state.problems.append(what)
        self._event(what, "problem")


async def _until(check: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    """Poll ``check`` (state another process changes: nothing to await) every 50 ms."""
    for _ in range(max(1, int(seconds / 0.05))):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")
