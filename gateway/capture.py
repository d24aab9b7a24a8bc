"""Record the gateway's service calls into a JSONL corpus, secrets redacted, off the hot path.

``CallRecorder.record`` is what the request path pays: a sampling draw and an append to a
bounded in-memory queue. A background task drains the queue every ``flush_seconds``,
turns the batch into JSON (pydantic-core) and hands it to a writer process that redacts
and appends it, so neither a slow disk nor the redaction's CPU delays a caller; when the
queue is full (the writer cannot keep up) records are dropped and counted rather than
queued without bound. Nothing unredacted is ever written: it only crosses a local pipe.

One line per call (``CallRecord``): service, method, the caller's user, request, response
or error, the protocol that answered, latency. Before anything is written, values under
keys that hold secrets (node ``credentials``, tokens, API keys, passwords, authorization)
are replaced by ``[REDACTED]``, and so are bearer tokens, JWTs and provider API keys found
inside any other string. ``bridgectl parity replay`` reads the same format.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import multiprocessing
import random
import re
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bridge.errors import BridgeError
from gateway.clients._base import CallOptions, Method

log = logging.getLogger("gateway.capture")
REDACTED = "[REDACTED]"
CORPUS_VERSION: Literal[1] = 1

SECRET_KEY = re.compile(
    r"(?:^|[_-])(?:credentials?|token|access[_-]?token|refresh[_-]?token|secret|"
    r"password|passwd|api[_-]?key|apikey|authorization|private[_-]?key|cookie)$",
    re.IGNORECASE,
)
"""Keys whose (string) values are secrets wherever they appear: ``credentials``,
``api_key``, ``x-api-key``, ``auth_token``, ``Authorization``... (not ``max_tokens``)."""

SECRET_VALUE = re.compile(
    r"(?:\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+)"  # authorization header values
    r"|(?:\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*)"  # JWTs
    r"|(?:\bsk-[A-Za-z0-9_-]{16,})"  # OpenAI / Anthropic style keys
    r"|(?:\bAKIA[0-9A-Z]{16}\b)",  # AWS access key ids
    re.IGNORECASE,
)
"""Secrets recognisable by their shape, replaced inside any string."""
VALUE_MARKERS = ("bearer", "basic", "eyj", "sk-", "akia")
"""Lower-case text every SECRET_VALUE match contains (a cheap test before the regex)."""


class CallError(BaseModel):
    """A failed call as the corpus keeps it (the bridge's error envelope)."""

    model_config = ConfigDict(extra="forbid")

    code: str
    message: str
    details: list[dict[str, Any]] = Field(default_factory=list)


STREAM_KEY = "messages"
"""A server stream's ``response`` is ``{"messages": [...]}``, its messages in order."""


class CallRecord(BaseModel):
    """One recorded service call (a line of the corpus)."""

    model_config = ConfigDict(extra="forbid")

    v: Literal[1] = CORPUS_VERSION
    seq: int = Field(ge=0)
    at_ms: int = Field(ge=0)
    """When the call started (epoch milliseconds): replay keeps the gaps between calls."""
    service: str
    """Full proto service name, e.g. ``contract.engine.v1.WorkflowService``."""
    method: str
    user_id: str | None = None
    idempotency_key: str | None = None
    request: dict[str, Any]
    response: dict[str, Any] | None = None
    error: CallError | None = None
    protocol: Literal["grpc", "http"]
    latency_ms: float = Field(ge=0)
    note: str = ""
    """What the call is there to show (hand-made corpora); empty when captured."""
    unchecked: bool = False
    """Replay sends ``request`` as it is, without the client's own validation: invalid
    input a direct caller could send, to see both protocols refuse it the same way."""

    @property
    def rpc(self) -> str:
        return f"{self.service}/{self.method}"


def redact(value: Any) -> Any:
    """A copy of a JSON value with secrets replaced (see the module docstring)."""
    return _values(_keys(value))


@functools.lru_cache(maxsize=4096)
def _secret_key(key: str) -> bool:
    return SECRET_KEY.search(key) is not None


def _keys(value: Any, secret: bool = False) -> Any:
    """Strings under secret keys replaced (numbers, booleans and null keep their type: they
    are not secrets, and replay needs them). Scalars are not recursed into: this walk is
    most of what capturing a call costs."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            under = secret or _secret_key(str(key))
            if isinstance(item, dict | list):
                item = _keys(item, under)
            elif under and isinstance(item, str):
                item = REDACTED
            out[key] = item
        return out
    if isinstance(value, list):
        return [
            _keys(item, secret)
            if isinstance(item, dict | list)
            else (REDACTED if secret and isinstance(item, str) else item)
            for item in value
        ]
    return REDACTED if secret and isinstance(value, str) else value


def _values(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_values(item) for item in value]
    if isinstance(value, str):
        return SECRET_VALUE.sub(REDACTED, value)
    return value


def read_corpus(path: str | Path) -> list[CallRecord]:
    """Every record of a JSONL corpus, in file order (blank lines and ``#`` comments skipped)."""
    out = []
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            out.append(CallRecord.model_validate_json(line))
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: not a corpus record: {exc}") from None
    return out


def error_of(exc: BridgeError) -> CallError:
    return CallError.model_validate(exc.to_http_body()["error"])


_Pending = tuple[
    int, Method, BaseModel, CallOptions, str, BaseModel | Sequence[BaseModel] | BridgeError, float
]
_Raw = tuple[dict[str, Any], str, str, str]
"""A call as it crosses to the writer process: the record's scalar fields, the request's
JSON, ``"response"`` or ``"error"``, and that JSON (not yet redacted)."""


class CallRecorder:
    """Samples calls and appends them to ``path`` in the background.

    The expensive part (parsing, the redaction walk, the final JSON) runs in one writer
    process of its own: in a thread it would still hold this process's GIL and slow the
    calls being served. This process only turns each queued call into JSON with
    pydantic-core (tens of microseconds) once per flush.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        sample_rate: float = 1.0,
        max_pending: int = 10_000,
        flush_seconds: float = 0.25,
        draw: Callable[[], float] = random.random,
    ) -> None:
        if not 0.0 <= sample_rate <= 1.0:
            raise ValueError(f"sample rate must be within 0..1, not {sample_rate}")
        self.path = Path(path)
        self.sample_rate = sample_rate
        self.flush_seconds = flush_seconds
        self.recorded = 0
        self.dropped = 0
        self._draw = draw
        self._pending: deque[_Pending] = deque()
        self._max_pending = max_pending
        self._seq = 0
        self._task: asyncio.Task[None] | None = None
        self._writer: ProcessPoolExecutor | None = None
        self._closed = False

    def record(
        self,
        method: Method,
        request: BaseModel,
        options: CallOptions,
        protocol: str,
        outcome: BaseModel | Sequence[BaseModel] | BridgeError,
        started: float,
    ) -> None:
        """Queue one finished call (``started`` is its ``time.perf_counter()`` start)."""
        seconds = time.perf_counter() - started
        if self._closed or (self.sample_rate < 1.0 and self._draw() >= self.sample_rate):
            return
        if len(self._pending) >= self._max_pending:
            self.dropped += 1
            return
        at_ms = int(time.time() * 1000 - seconds * 1000)
        self._pending.append((at_ms, method, request, options, protocol, outcome, seconds))
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        while True:
            await asyncio.sleep(self.flush_seconds)
            await self.flush()

    async def flush(self) -> None:
        """Write what is queued now (the background task calls this; so does ``aclose``)."""
        batch = list(self._take())
        if not batch:
            return
        first = self._seq
        self._seq += len(batch)
        raws = [_raw(first + i, item) for i, item in enumerate(batch)]
        if self._writer is None:
            # spawn, not fork: this process runs gRPC's threads, which fork does not copy.
            self._writer = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._writer, _append, str(self.path), raws)
        except (OSError, BrokenExecutor) as exc:  # a full disk must not take the gateway down
            self.dropped += len(batch)
            log.error("capture write failed", extra={"path": str(self.path), "error": str(exc)})
        else:
            self.recorded += len(batch)

    def _take(self) -> Iterator[_Pending]:
        while self._pending:
            yield self._pending.popleft()

    async def aclose(self) -> None:
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()
        if self._writer is not None:
            await asyncio.to_thread(self._writer.shutdown, True)


def _raw(seq: int, item: _Pending) -> _Raw:
    """What the writer needs, made here (it holds the models): JSON via pydantic-core."""
    at_ms, method, request, options, protocol, outcome, seconds = item
    fields: dict[str, Any] = {
        "v": CORPUS_VERSION,
        "seq": seq,
        "at_ms": at_ms,
        "service": method.service,
        "method": method.name,
        "user_id": options.user_id,
        "idempotency_key": options.idempotency_key,
        "protocol": protocol,
        "latency_ms": round(seconds * 1000, 3),
    }
    request_json = request.model_dump_json(exclude_unset=True)
    if isinstance(outcome, BridgeError):
        return fields, request_json, "error", json.dumps(outcome.to_http_body()["error"])
    if isinstance(outcome, BaseModel):
        return fields, request_json, "response", outcome.model_dump_json()
    # A server stream: its messages in order, as one answer.
    messages = ",".join(message.model_dump_json() for message in outcome)
    return fields, request_json, "response", f'{{"{STREAM_KEY}":[{messages}]}}'


def _line(raw: _Raw) -> str:
    """One corpus line, redacted (runs in the writer process)."""
    fields, request_json, kind, payload = raw
    record = {**fields, "request": _keys(json.loads(request_json))}
    record[kind] = _keys(json.loads(payload))
    text = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
    # Secrets known by their shape, in one pass over the line (none of them contains a
    # character JSON escapes, so the text holds them exactly as the values did); the
    # regex runs only when one of their markers is there at all.
    lowered = text.lower()
    if any(marker in lowered for marker in VALUE_MARKERS):
        text = SECRET_VALUE.sub(REDACTED, text)
    return text + "\n"


def _append(path: str, raws: list[_Raw]) -> None:
    """The writer process's job: redact a batch and append it to the corpus."""
    lines = "".join(_line(raw) for raw in raws)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a", encoding="utf-8") as handle:
        handle.write(lines)


def open_recorder(path: str | Path | None, sample_rate: float) -> CallRecorder | None:
    """The recorder the settings ask for (``CAPTURE_PATH`` unset or rate 0: none)."""
    if path is None or str(path) == "" or sample_rate <= 0:
        return None
    return CallRecorder(path, sample_rate=sample_rate)
