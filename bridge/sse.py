"""The SSE wire format of a server stream, both ways: what the bridge sends, how clients read it.

A server-streaming RPC answers ``200 text/event-stream`` with one event per message::

    event: status                 <- the message's ``kind``, lower-cased (else its proto name)
    id: 0                         <- 0, 1, 2... the message's place in the stream
    data: {"kind":"STATUS",...}   <- the message as JSON (the same JSON a unary route returns)

and then exactly one of

    event: end                    <- clean end; data counts the messages sent
    data: {"messages":3}

    event: error                  <- failure after the first message; data is the error
    data: {"error":{"code":"NOT_FOUND","message":"...","details":[]}}

A stream that stops without either is truncated (the connection broke): clients treat it
as an error, never as a short answer. A failure *before* the first message is not a
stream at all but an ordinary JSON error response (400, 404, 504...).

The parser follows the WHATWG "event stream interpretation" rules (``\\n``, ``\\r\\n`` or
``\\r`` line ends, ``:`` comments, multi-line ``data``, a BOM at the start), fed with
chunks as they arrive.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MEDIA_TYPE = "text/event-stream"
END = "end"
ERROR = "error"
DEFAULT_EVENT = "message"
_BOM = b"\xef\xbb\xbf"


KEEPALIVE = b": ping\n\n"
"""A comment: keeps an idle stream's connection open; parsers skip it."""


def encode_event(event: str, data: bytes, *, id: int | None = None) -> bytes:
    """One event. ``data`` is single-line JSON (JSON encoders escape newlines)."""
    head = f"event: {event}\nid: {id}\n" if id is not None else f"event: {event}\n"
    return b"".join((head.encode(), b"data: ", data, b"\n\n"))


def end_event(messages: int) -> bytes:
    return encode_event(END, b'{"messages":%d}' % messages)


def error_event(body: Mapping[str, Any]) -> bytes:
    return encode_event(ERROR, json.dumps(body, separators=(",", ":")).encode())


@dataclass(frozen=True, slots=True)
class Event:
    event: str
    data: str
    id: str | None


class EventParser:
    """Incremental SSE parser: ``feed`` chunks, get the events they complete.

    ``max_event_bytes`` bounds what one event may buffer (a stream that never ends an
    event must not grow memory without bound)."""

    def __init__(self, *, max_event_bytes: int = 64 * 1024 * 1024) -> None:
        self._buffer = bytearray()
        self._max = max_event_bytes
        self._event = ""
        self._data: list[str] = []
        self._size = 0
        self._last_id: str | None = None
        self._started = False
        self._pending_cr = False
        self._scanned = 0
        """Bytes at the start of the buffer known to hold no line end (a long line arriving
        in many chunks is scanned once, not once per chunk)."""

    def feed(self, chunk: bytes) -> list[Event]:
        if self._pending_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]  # the \n of a \r\n split across chunks
        self._pending_cr = False
        self._buffer += chunk
        if not self._started:
            if self._buffer.startswith(_BOM):
                del self._buffer[:3]
                self._started = True
            elif _BOM.startswith(self._buffer):
                return []  # maybe the start of a BOM: wait for more
            else:
                self._started = True
        events: list[Event] = []
        start = 0
        buffer = self._buffer
        while True:
            scan = max(start, self._scanned)
            lf = buffer.find(b"\n", scan)
            cr = buffer.find(b"\r", scan, lf if lf >= 0 else len(buffer))
            if cr >= 0:
                end, nxt = cr, cr + 1
                if nxt < len(buffer) and buffer[nxt] == 0x0A:
                    nxt += 1
                elif nxt == len(buffer):
                    self._pending_cr = True
            elif lf >= 0:
                end, nxt = lf, lf + 1
            else:
                break
            event = self._line(bytes(buffer[start:end]).decode("utf-8", errors="replace"))
            if event is not None:
                events.append(event)
            start = nxt
            self._scanned = 0
        del buffer[:start]
        self._scanned = len(buffer)
        if len(buffer) + self._size > self._max:
            raise ValueError(f"an SSE event is larger than {self._max} bytes")
        return events

    def _line(self, line: str) -> Event | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
            self._size += len(value)
        elif name == "id" and "\0" not in value:
            self._last_id = value
        return None  # retry and unknown fields are ignored

    def _dispatch(self) -> Event | None:
        data, event = self._data, self._event or DEFAULT_EVENT
        self._data, self._event, self._size = [], "", 0
        if not data:
            return None
        return Event(event, "\n".join(data), self._last_id)
