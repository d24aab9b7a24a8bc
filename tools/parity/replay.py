"""Replay a corpus on both protocols and compare the answers field by field (Diffy-style).

Every record is replayed in three *lanes* against the running services, through the real
transports and without retries: ``grpc`` (the control), ``grpc-again`` (the control once
more, to learn noise) and ``http`` (the candidate). Each lane works in its own fresh
namespace, so a corpus can be replayed any number of times against the same stack:

- the recorded users become ``<user>.<run>.<lane>`` (distinct users stay distinct, so
  "another user's record" cases keep their meaning);
- ids the corpus created are mapped as the replay goes: when a recorded answer carries
  ``id``/``*_id`` ``wf_1`` and the lane's answer ``wf_9``, later requests of that lane
  send ``wf_9`` where the recording said ``wf_1``;
- idempotency keys get the lane's namespace too.

Before comparing, each lane's answer is mapped back (its ids and users to the recorded
ones), turned into the RPC's response model (or its error: code and message) and dumped.
What differs between ``grpc`` and ``grpc-again`` is noise (timestamps, durations) and is
learnt per method, with list indices generalised (``workflows[*].created_at``); what
differs between ``grpc`` and ``http`` and is neither noise nor an explicit ignore rule is
a mismatch. A lane whose outcome differs from the recording's (success vs error, or
another error code) is *drift*: the replay did not reproduce the state the call needed.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from google.protobuf.descriptor import ServiceDescriptor
from pydantic import BaseModel, ValidationError

from bridge.errors import BridgeError
from contract.binding import SERVICE_FILES
from feature_flags import Transport as Protocol
from gateway.capture import STREAM_KEY, CallRecord
from gateway.clients import CallOptions, GrpcTransport, HttpTransport, Method, Transport
from gateway.clients._base import methods_of
from gateway.compare import DEFAULT_IGNORED, Difference, compare, generic_path

CONTROL, NOISE, CANDIDATE = "grpc", "grpc-again", "http"
LANES: tuple[tuple[str, Protocol], ...] = (
    (CONTROL, Protocol.GRPC),
    (NOISE, Protocol.GRPC),
    (CANDIDATE, Protocol.HTTP),
)
NOISE_DELAY_SECONDS = 0.005
IGNORED = DEFAULT_IGNORED
"""Explicit ignore rules applied before noise learning (keys or full paths)."""


@cache
def _services() -> dict[str, ServiceDescriptor]:
    return {
        service.full_name: service
        for file in SERVICE_FILES
        for service in file.services_by_name.values()
    }


@cache
def _methods(service: str) -> dict[str, Method]:
    descriptor = _services().get(service)
    if descriptor is None:
        raise LookupError(f"unknown service {service!r} (known: {', '.join(sorted(_services()))})")
    return methods_of(descriptor)


def resolve(service: str, name: str) -> Method:
    """The RPC a record names, from the proto descriptors (same table as the gateway's)."""
    methods = _methods(service)
    if name not in methods:
        raise LookupError(f"{service} has no method {name!r}")
    return methods[name]


@dataclass(frozen=True, slots=True)
class Targets:
    """Where each proto service answers: ``{service full name: address}`` per protocol."""

    grpc: Mapping[str, str]
    http: Mapping[str, str]

    @classmethod
    def of(
        cls, services: Mapping[str, tuple[str | None, str | None]], *, prefix: str = "contract."
    ) -> Targets:
        """From ``{package prefix: (grpc host:port, http base URL)}``, e.g.
        ``{"contract.engine.v1": ("127.0.0.1:50050", "http://127.0.0.1:8002")}``."""
        grpc: dict[str, str] = {}
        http: dict[str, str] = {}
        for name in _services():
            for package, (grpc_target, http_url) in services.items():
                if name.startswith(package + "."):
                    if grpc_target:
                        grpc[name] = grpc_target
                    if http_url:
                        http[name] = http_url
        return cls(grpc=grpc, http=http)


@dataclass
class Lane:
    """One protocol's replay of the corpus in its own namespace."""

    name: str
    protocol: Protocol
    run: str
    transports: Mapping[str, Transport]
    """Proto service full name -> transport."""
    ids: dict[str, str] = field(default_factory=dict)
    """Recorded id -> this lane's id."""

    def user(self, recorded: str | None) -> str | None:
        if recorded is None or not recorded.strip():
            return recorded  # a blank user is an invalid-input case: keep it blank
        return f"{recorded}.{self.run}.{self.name}"

    def key(self, recorded: str | None) -> str | None:
        return None if recorded is None else f"{recorded}.{self.run}.{self.name}"

    def forward(self, request: dict[str, Any], user: str | None) -> dict[str, Any]:
        """A recorded request in this lane's namespace."""
        out: dict[str, Any] = _map_ids(request, self.ids)
        if "user_id" in out and isinstance(out["user_id"], str):
            out["user_id"] = self.user(out["user_id"])
        return out

    def backward(self, answer: Any, record: CallRecord) -> Any:
        """This lane's answer with the lane's ids, users and keys put back as recorded."""
        names = {replayed: recorded for recorded, replayed in self.ids.items()}
        for recorded in {record.user_id, record.request.get("user_id")}:
            if isinstance(recorded, str):
                names[f"{recorded}.{self.run}.{self.name}"] = recorded
        if record.idempotency_key:
            names[f"{record.idempotency_key}.{self.run}.{self.name}"] = record.idempotency_key
        return _rename(answer, names)

    def learn(self, recorded: Any, replayed: Any) -> None:
        """Map ids the recording's answer carries to the ones this lane got instead."""
        if isinstance(recorded, dict) and isinstance(replayed, dict):
            for key, value in recorded.items():
                other = replayed.get(key)
                if _is_id(key) and isinstance(value, str) and isinstance(other, str):
                    if value != other:
                        self.ids.setdefault(value, other)
                else:
                    self.learn(value, other)
        elif isinstance(recorded, list) and isinstance(replayed, list):
            for a, b in zip(recorded, replayed, strict=False):
                self.learn(a, b)


def _is_id(key: str) -> bool:
    return key == "id" or key.endswith("_id")


def _map_ids(value: Any, ids: Mapping[str, str], key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _map_ids(v, ids, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_ids(v, ids, key) for v in value]
    if isinstance(value, str) and _is_id(key):
        return ids.get(value, value)
    return value


def _rename(value: Any, names: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        return {_rename(k, names): _rename(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename(v, names) for v in value]
    if isinstance(value, str) and names:
        if value in names:
            return names[value]
        for replayed, recorded in names.items():  # ids inside messages ("workflow 'wf_9'...")
            if replayed in value:
                value = value.replace(replayed, recorded)
    return value


@dataclass
class Answer:
    """What one lane got for one record, comparable across lanes."""

    ok: bool
    code: str
    body: Any
    """``{"response": ...}`` or ``{"error": {"code", "message"}}``, mapped back."""


@dataclass
class Outcome:
    """The verdict on one record."""

    seq: int
    rpc: str
    method: str
    note: str
    answers: dict[str, Answer]
    differences: list[Difference] = field(default_factory=list)
    """Control vs candidate, noise and ignore rules removed."""
    noise: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)
    """Lanes whose outcome (success / error code) differs from the recording's."""

    @property
    def matched(self) -> bool:
        return not self.differences


@dataclass
class MethodSummary:
    rpc: str
    calls: int = 0
    matches: int = 0
    mismatches: int = 0
    drifted: int = 0
    first: Difference | None = None
    """The first differing field of the first mismatch (path and both values)."""


@dataclass
class ReplayReport:
    run: str
    outcomes: list[Outcome]
    noise: dict[str, list[str]]
    """Per RPC, the generic paths learnt as noise."""
    seconds: float

    @property
    def mismatches(self) -> int:
        return sum(not o.matched for o in self.outcomes)

    @property
    def drifted(self) -> int:
        return sum(bool(o.drift) for o in self.outcomes)

    def methods(self) -> list[MethodSummary]:
        out: dict[str, MethodSummary] = {}
        for o in self.outcomes:
            summary = out.setdefault(o.rpc, MethodSummary(o.rpc))
            summary.calls += 1
            summary.drifted += bool(o.drift)
            if o.matched:
                summary.matches += 1
            else:
                summary.mismatches += 1
                summary.first = summary.first or o.differences[0]
        return [out[rpc] for rpc in sorted(out)]

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "calls": len(self.outcomes),
            "matches": len(self.outcomes) - self.mismatches,
            "mismatches": self.mismatches,
            "drifted": self.drifted,
            "seconds": round(self.seconds, 3),
            "methods": [
                {
                    "rpc": s.rpc,
                    "calls": s.calls,
                    "matches": s.matches,
                    "mismatches": s.mismatches,
                    "drifted": s.drifted,
                    "first_difference": None
                    if s.first is None
                    else {"path": s.first.path, CONTROL: s.first.left, CANDIDATE: s.first.right},
                }
                for s in self.methods()
            ],
            "mismatched": [
                {
                    "seq": o.seq,
                    "rpc": o.rpc,
                    "note": o.note,
                    "differences": [
                        {"path": d.path, CONTROL: d.left, CANDIDATE: d.right} for d in o.differences
                    ],
                }
                for o in self.outcomes
                if not o.matched
            ],
            "drift": [
                {"seq": o.seq, "rpc": o.rpc, "note": o.note, "lanes": o.drift}
                for o in self.outcomes
                if o.drift
            ],
            "noise": self.noise,
        }


class Replay:
    """Replays corpora against one stack; ``transports_for`` lets tests wrap a transport."""

    def __init__(
        self,
        targets: Targets,
        *,
        ignore: Iterable[str] = IGNORED,
        timeout: float = 10.0,
        max_gap_seconds: float = 1.0,
        service_token: str | None = None,
    ) -> None:
        self.targets = targets
        self.ignore = frozenset(ignore)
        self.timeout = timeout
        self.max_gap_seconds = max_gap_seconds
        self.token = service_token
        self._transports: dict[tuple[Protocol, str], Transport] = {}

    def transport(self, protocol: Protocol, service: str) -> Transport:
        """One shared transport per (protocol, address)."""
        table = self.targets.grpc if protocol is Protocol.GRPC else self.targets.http
        address = table.get(service)
        if address is None:
            raise LookupError(f"no {protocol.value} address given for {service}")
        cached = self._transports.get((protocol, address))
        if cached is None:
            cached = self._transports[(protocol, address)] = self.make_transport(protocol, address)
        return cached

    def make_transport(self, protocol: Protocol, address: str) -> Transport:
        """The real transport of ``protocol`` (tests subclass it to plant a difference)."""
        if protocol is Protocol.GRPC:
            return GrpcTransport(address, service_token=self.token)
        return HttpTransport(address, service_token=self.token)

    async def aclose(self) -> None:
        for transport in self._transports.values():
            await transport.aclose()
        self._transports.clear()

    async def run(self, records: Sequence[CallRecord], *, run: str | None = None) -> ReplayReport:
        run = run or uuid.uuid4().hex[:8]
        services = sorted({r.service for r in records})
        lanes = {
            name: Lane(name, protocol, run, {s: self.transport(protocol, s) for s in services})
            for name, protocol in LANES
        }
        started = time.perf_counter()
        replies: list[dict[str, Answer]] = []
        previous: CallRecord | None = None
        for record in records:
            if previous is not None and self.max_gap_seconds > 0:
                gap = (record.at_ms - previous.at_ms - previous.latency_ms) / 1000
                await asyncio.sleep(min(max(gap, 0.0), self.max_gap_seconds))
            previous = record
            method = resolve(record.service, record.method)
            control, candidate = await asyncio.gather(
                self._call(lanes[CONTROL], method, record),
                self._call(lanes[CANDIDATE], method, record),
            )
            # The noise lane runs after the control, a moment later: timestamps taken in
            # the same millisecond would otherwise hide that they are noise.
            await asyncio.sleep(NOISE_DELAY_SECONDS)
            again = await self._call(lanes[NOISE], method, record)
            replies.append({CONTROL: control, NOISE: again, CANDIDATE: candidate})
        noise: dict[str, set[str]] = defaultdict(set)
        for record, answers in zip(records, replies, strict=True):
            for d in compare(answers[CONTROL].body, answers[NOISE].body, ignore=self.ignore):
                noise[record.rpc].add(generic_path(d.path))
        outcomes = []
        for record, answers in zip(records, replies, strict=True):
            learnt = noise.get(record.rpc, set())
            found = compare(answers[CONTROL].body, answers[CANDIDATE].body, ignore=self.ignore)
            expected = "OK" if record.error is None else record.error.code
            outcomes.append(
                Outcome(
                    seq=record.seq,
                    rpc=record.rpc,
                    method=record.method,
                    note=record.note,
                    answers=answers,
                    differences=[d for d in found if generic_path(d.path) not in learnt],
                    noise=sorted({generic_path(d.path) for d in found} & learnt),
                    drift=[name for name, a in answers.items() if a.code != expected],
                )
            )
        return ReplayReport(
            run=run,
            outcomes=outcomes,
            noise={rpc: sorted(paths) for rpc, paths in sorted(noise.items())},
            seconds=time.perf_counter() - started,
        )

    async def _call(self, lane: Lane, method: Method, record: CallRecord) -> Answer:
        user = lane.user(record.user_id)
        options = CallOptions(
            user_id=user, idempotency_key=lane.key(record.idempotency_key), timeout=self.timeout
        )
        data = lane.forward(record.request, user)
        try:
            request = (
                method.request_model.model_construct(**data)
                if record.unchecked
                else method.request_model.model_validate(data)
            )
        except ValidationError as exc:
            return Answer(False, "CORPUS", {"corpus": f"request does not validate: {exc}"})
        transport = lane.transports[record.service]
        try:
            reply: BaseModel | list[BaseModel] | BridgeError = (
                [message async for message in transport.stream(method, request, options)]
                if method.server_streaming
                else await transport.call(method, request, options)
            )
        except BridgeError as exc:
            reply = exc
        except Exception as exc:  # a transport that broke (not a service answer): report it
            return Answer(False, "TRANSPORT", {"transport": f"{type(exc).__name__}: {exc}"})
        if isinstance(reply, BridgeError):
            # Code and message, and the details (field violations, ErrorInfo) too: the
            # contract promises the same ones on both protocols.
            error = reply.to_http_body()["error"]
            return Answer(False, reply.code.name, lane.backward({"error": error}, record))
        # A stream's answer is its messages in order, as the capture records it.
        dumped: dict[str, Any] = (
            {STREAM_KEY: [m.model_dump(mode="json") for m in reply]}
            if isinstance(reply, list)
            else reply.model_dump(mode="json")
        )
        if record.response is not None:
            lane.learn(record.response, dumped)
        body = lane.backward(dumped, record)
        # Mapped back, it must still be the RPC's response model: compare model dumps.
        model = method.response_model
        try:
            if isinstance(reply, list):
                body = {STREAM_KEY: [model.model_validate(m).model_dump(mode="json")
                                     for m in body[STREAM_KEY]]}  # fmt: skip
            else:
                body = model.model_validate(body).model_dump(mode="json")
        except ValidationError as exc:
            return Answer(False, "INVALID_RESPONSE", {"invalid_response": str(exc)})
        return Answer(True, "OK", {"response": body})
