"""Server streaming on a real bridge server (loopback, ephemeral ports), from stock clients:
a grpc.aio stub and httpx reading the SSE body. The same handler serves both."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
import httpx
import pytest
from grpc_status import rpc_status

from bridge.errors import FailedPrecondition, NotFound
from bridge.server import BridgeServer
from bridge.settings import BridgeSettings
from contract import models as m
from contract.agent.v1 import agent_pb2, agent_pb2_grpc
from contract.binding import converter
from tests.integration.bridge.toy_stream import ToyConversation, toy_conversation_service

PATH = "/v1/conversations/s1/turns"
BODY = {"user_message": "hi", "user_id": "u1"}
REQUEST = agent_pb2.ProcessConversationRequest(session_id="s1", user_message="hi", user_id="u1")


@dataclass
class Served:
    toy: ToyConversation
    server: BridgeServer
    stub: agent_pb2_grpc.ConversationServiceAsyncStub
    http: httpx.AsyncClient


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    toy = ToyConversation()
    server = BridgeServer(
        name="toy-agent",
        services=[toy_conversation_service(toy)],
        default_http_port=0,
        default_grpc_port=0,
        settings=BridgeSettings(shutdown_grace_seconds=1),
    )
    await server.start()
    async with (
        grpc.aio.insecure_channel(server.grpc_address) as channel,
        httpx.AsyncClient(base_url=server.http_url, timeout=10) as http,
    ):
        yield Served(toy, server, agent_pb2_grpc.ConversationServiceStub(channel), http)
    await server.stop(grace=0)


@dataclass
class SseEvent:
    event: str
    id: str | None
    data: Any


def parse_sse(text: str) -> list[SseEvent]:
    """A deliberately simple reading of the wire format, independent of bridge.sse."""
    events = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        lines = [line for line in block.split("\n") if not line.startswith(":")]  # comments
        if not lines:
            continue
        fields = dict(line.split(": ", 1) for line in lines)
        events.append(SseEvent(fields["event"], fields.get("id"), json.loads(fields["data"])))
    return events


async def sse(served: Served, body: dict[str, Any] = BODY, **headers: str) -> httpx.Response:
    return await served.http.post(PATH, json=body, headers=headers)


async def grpc_stream(
    served: Served, request: agent_pb2.ProcessConversationRequest = REQUEST, **kwargs: Any
) -> tuple[list[agent_pb2.ProcessConversationResponse], grpc.aio.AioRpcError | None]:
    messages = []
    call = served.stub.ProcessConversation(request, **kwargs)
    try:
        async for message in call:
            messages.append(message)
    except grpc.aio.AioRpcError as exc:
        return messages, exc
    return messages, None


def as_models(messages: list[agent_pb2.ProcessConversationResponse]) -> list[Any]:
    c = converter()
    return [c.from_proto(msg, m.ProcessConversationResponse) for msg in messages]


# -- order, format, parity -------------------------------------------------------------


async def test_n_messages_arrive_in_order_over_grpc(served: Served) -> None:
    served.toy.count = 7
    call = served.stub.ProcessConversation(REQUEST, metadata=(("x-request-id", "req-1"),))
    messages = [message async for message in call]
    assert [msg.sequence for msg in messages] == list(range(8))
    assert messages[-1].kind == agent_pb2.CONVERSATION_EVENT_KIND_STATE
    assert [msg.text for msg in messages[:3]] == ["hi #0 ", "hi #1 ", "hi #2 "]
    assert await call.code() == grpc.StatusCode.OK
    assert ("x-request-id", "req-1") in tuple(await call.initial_metadata())
    assert served.toy.outcome == "done"


async def test_n_messages_arrive_in_order_as_sse(served: Served) -> None:
    served.toy.count = 7
    response = await sse(served, **{"x-request-id": "req-2"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["x-request-id"] == "req-2"
    assert response.headers["cache-control"] == "no-cache"
    events = parse_sse(response.text)
    assert [e.id for e in events] == [str(i) for i in range(8)] + [None]
    assert [e.data.get("sequence") for e in events[:-1]] == list(range(8))
    # event: the message's kind, lower-cased; then the clean end with the count.
    assert [e.event for e in events[:4]] == ["status", "message", "workflow", "status"]
    assert events[7].event == "state"
    assert (events[-1].event, events[-1].data) == ("end", {"messages": 8})
    assert served.toy.outcome == "done"


async def test_both_protocols_decode_to_the_same_sequence(served: Served) -> None:
    served.toy.count = 12
    messages, error = await grpc_stream(served)
    assert error is None
    events = parse_sse((await sse(served)).text)
    over_http = [m.ProcessConversationResponse.model_validate(e.data) for e in events[:-1]]
    assert as_models(messages) == over_http
    assert len(over_http) == 13
    assert over_http[-1].state == {"turns": 1, "last": "hi"}


async def test_an_empty_stream_ends_cleanly(served: Served) -> None:
    served.toy.count, served.toy.state_event = 0, False
    messages, error = await grpc_stream(served)
    assert (messages, error) == ([], None)
    response = await sse(served)
    assert response.status_code == 200
    assert [(e.event, e.data) for e in parse_sse(response.text)] == [("end", {"messages": 0})]


# -- errors ------------------------------------------------------------------------------


async def test_an_error_before_the_first_message_is_an_ordinary_error(served: Served) -> None:
    served.toy.fail_before, served.toy.error = 0, NotFound("session s1 not found")
    messages, error = await grpc_stream(served)
    assert messages == []
    assert error is not None and error.code() == grpc.StatusCode.NOT_FOUND
    assert error.details() == "session s1 not found"
    response = await sse(served)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"] == {
        "code": "NOT_FOUND",
        "message": "session s1 not found",
        "details": [],
    }


async def test_an_error_mid_stream_reaches_the_client_on_both(served: Served) -> None:
    served.toy.count, served.toy.fail_before = 6, 3
    served.toy.error = FailedPrecondition("model quota used up")
    messages, error = await grpc_stream(served)
    assert [msg.sequence for msg in messages] == [0, 1, 2]
    assert error is not None and error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error.details() == "model quota used up"
    response = await sse(served)
    assert response.status_code == 200  # the stream had begun...
    events = parse_sse(response.text)
    assert [e.event for e in events] == ["status", "message", "workflow", "error"]
    # ...and ends with the error envelope, never a silent truncation or an `end`.
    assert events[-1].data == {
        "error": {"code": "FAILED_PRECONDITION", "message": "model quota used up", "details": []}
    }


async def test_an_unexpected_exception_mid_stream_is_internal_on_both(served: Served) -> None:
    served.toy.count, served.toy.fail_before = 4, 2  # RuntimeError
    _, error = await grpc_stream(served, metadata=(("x-request-id", "r-9"),))
    assert error is not None and error.code() == grpc.StatusCode.INTERNAL
    events = parse_sse((await sse(served, **{"x-request-id": "r-9"})).text)
    assert events[-1].event == "error"
    assert events[-1].data["error"]["code"] == "INTERNAL"
    assert events[-1].data["error"]["message"] == error.details()
    assert "toy failure" not in error.details()  # nothing of the traceback to the caller


async def test_bad_input_is_invalid_argument_naming_the_field(served: Served) -> None:
    _, error = await grpc_stream(
        served, agent_pb2.ProcessConversationRequest(session_id="s1", user_message="hi")
    )
    assert error is not None and error.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(error)
    assert status is not None and status.details  # google.rpc.BadRequest
    assert "user_id" in error.details()
    response = await sse(served, {"user_message": "hi", "user_id": " "})  # proto3: "" = unset
    assert response.status_code == 400
    envelope = response.json()["error"]
    assert envelope["code"] == "INVALID_ARGUMENT"
    assert [d["field"] for d in envelope["details"]] == ["user_id"]
    assert envelope["message"] == error.details()
    assert not served.toy.started.is_set()  # the handler never ran


# -- cancellation, deadlines ---------------------------------------------------------------


async def test_cancelling_a_grpc_stream_stops_the_handler(served: Served) -> None:
    served.toy.count, served.toy.delay = 1000, 0.02
    call = served.stub.ProcessConversation(REQUEST)
    for _ in range(3):
        await call.read()
    call.cancel()
    await asyncio.wait_for(served.toy.finished.wait(), 2)
    assert served.toy.outcome in {"cancelled", "closed"}  # its finally ran
    assert served.toy.produced < 10


async def test_disconnecting_from_an_sse_stream_stops_the_handler(served: Served) -> None:
    served.toy.count, served.toy.delay = 1000, 0.02
    async with served.http.stream("POST", PATH, json=BODY) as response:
        lines = response.aiter_lines()
        while "id: 2" not in await anext(lines):
            pass
    await asyncio.wait_for(served.toy.finished.wait(), 2)
    assert served.toy.outcome in {"cancelled", "closed"}  # its finally ran
    assert served.toy.produced < 10


async def test_the_deadline_bounds_the_whole_stream(served: Served) -> None:
    served.toy.count, served.toy.delay = 100, 0.1
    messages, error = await grpc_stream(served, timeout=0.55)
    assert 1 <= len(messages) <= 6
    assert error is not None and error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    await asyncio.wait_for(served.toy.finished.wait(), 2)
    assert served.toy.outcome in {"cancelled", "closed"}  # its finally ran
    served.toy.finished.clear()
    response = await sse(served, **{"x-request-timeout-ms": "550"})
    events = parse_sse(response.text)
    assert 1 <= len(events) - 1 <= 6
    assert events[-1].event == "error"
    assert events[-1].data["error"]["code"] == "DEADLINE_EXCEEDED"
    assert served.toy.outcome in {"cancelled", "closed"}  # its finally ran


async def test_a_deadline_before_the_first_message_is_an_ordinary_504(served: Served) -> None:
    served.toy.count, served.toy.delay = 3, 1.0
    messages, error = await grpc_stream(served, timeout=0.2)
    assert messages == []
    assert error is not None and error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    response = await sse(served, **{"x-request-timeout-ms": "200"})
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "DEADLINE_EXCEEDED"


# -- back-pressure -------------------------------------------------------------------------

EVENT_TEXT = 19_000
COUNT = 2_000  # ~38 MB of events in all
BOUND = 16 * 1024 * 1024 // EVENT_TEXT
"""At most 16 MiB ahead of the reader (measured: ~6 MB on gRPC, the HTTP/2 window;
~4 MB on HTTP, loopback socket buffers): bounded by bytes, not by the stream's length."""


async def stalled(toy: ToyConversation) -> int:
    """Wait until the handler stops producing (blocked by back-pressure); its count."""
    last = -1
    for _ in range(50):
        await asyncio.sleep(0.2)
        if toy.produced == last:
            return last
        last = toy.produced
    raise AssertionError(f"the handler kept producing ({toy.produced} events)")


async def check_held_back(toy: ToyConversation, read: Callable[[], Awaitable[object]]) -> None:
    for _ in range(3):
        await read()
    ahead = await stalled(toy)
    assert 3 <= ahead <= BOUND, ahead
    assert not toy.finished.is_set()


async def test_a_slow_grpc_client_holds_the_handler_back(served: Served) -> None:
    served.toy.count, served.toy.text_size = COUNT, EVENT_TEXT
    call = served.stub.ProcessConversation(REQUEST)
    await check_held_back(served.toy, call.read)
    call.cancel()  # a blocked handler is stopped too
    await asyncio.wait_for(served.toy.finished.wait(), 2)
    assert served.toy.outcome == "closed"


async def test_a_slow_sse_client_holds_the_handler_back(served: Served) -> None:
    served.toy.count, served.toy.text_size = COUNT, EVENT_TEXT
    async with served.http.stream("POST", PATH, json=BODY) as response:
        chunks = response.aiter_raw()

        async def read() -> bytes:
            return await anext(chunks)

        await check_held_back(served.toy, read)
    # Disconnecting while the server waits on a full socket stops the handler at once.
    await asyncio.wait_for(served.toy.finished.wait(), 2)
    assert served.toy.outcome == "closed"


# -- what the server reports -----------------------------------------------------------------


async def test_openapi_documents_the_event_stream(served: Served) -> None:
    schema = (await served.http.get("/openapi.json")).json()
    operation = schema["paths"]["/v1/conversations/{session_id}/turns"]["post"]
    content = operation["responses"]["200"]["content"]
    assert list(content) == ["text/event-stream"]
    message, error, end = content["text/event-stream"]["itemSchema"]["oneOf"]
    assert message["properties"]["event"]["enum"] == ["status", "message", "workflow", "state"]
    data = message["properties"]["data"]["contentSchema"]["$ref"].rsplit("/", 1)[-1]
    assert "kind" in schema["components"]["schemas"][data]["properties"]
    assert error["properties"]["event"] == {"const": "error"}
    assert end["properties"]["event"] == {"const": "end"}
    assert operation["requestBody"]["content"]["application/json"]
    assert [p["name"] for p in operation["parameters"]] == ["session_id"]


async def test_metrics_count_streams_and_their_messages(served: Served) -> None:
    served.toy.count = 4
    await grpc_stream(served)
    await sse(served)
    served.toy.fail_before = 2
    await sse(served)
    text = (await served.http.get("/metrics")).text
    rpc = (
        'method="ProcessConversation",protocol="{}",service="contract.agent.v1.ConversationService"'
    )
    assert f"bridge_stream_messages_total{{{rpc.format('grpc')}}} 5.0" in text
    assert f"bridge_stream_messages_total{{{rpc.format('http')}}} 7.0" in text
    assert f'bridge_requests_total{{code="INTERNAL",{rpc.format("http")}}} 1.0' in text


async def test_short_streams_are_not_held_back_by_nagle(served: Served) -> None:
    """Headers and the first event are separate writes: without TCP_NODELAY on accepted
    sockets the first event waited for the client's delayed ACK (~40 ms every stream)."""
    served.toy.count = 3
    await sse(served)  # connect, and let the kernel leave quick-ACK mode
    took = []
    for _ in range(15):
        start = time.perf_counter()
        response = await sse(served)
        took.append(time.perf_counter() - start)
        assert parse_sse(response.text)[-1].event == "end"
    assert statistics.median(took) < 0.02, took


async def test_an_idle_stream_gets_keepalive_comments() -> None:
    toy = ToyConversation(count=2, delay=0.35)
    server = BridgeServer(
        name="toy-agent",
        services=[toy_conversation_service(toy)],
        default_http_port=0,
        default_grpc_port=0,
        settings=BridgeSettings(sse_keepalive_seconds=0.1),
    )
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.http_url, timeout=10) as http:
            response = await http.post(PATH, json=BODY)
    finally:
        await server.stop(grace=0)
    # The first event is there before the headers go out; the gaps after it get pings.
    gap = response.text.split("id: 0\n", 1)[1].split("id: 1\n", 1)[0]
    assert gap.count(": ping\n\n") >= 2
    events = parse_sse(response.text)
    assert [e.event for e in events] == ["status", "message", "state", "end"]
