"""The gateway's transports on a server stream: the same messages and the same exceptions
over gRPC and SSE, early close, deadlines, broken streams, and routing by flag
(fall-over only before the first message). Against a real bridge server on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal

import pytest
from pydantic import BaseModel

from bridge.admin.models import Protocol as Listener
from bridge.errors import (
    BridgeError,
    DeadlineExceeded,
    ErrorInfo,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    Unavailable,
)
from bridge.server import BridgeServer
from bridge.settings import BridgeSettings
from contract import models as m
from feature_flags import Decider, FlagSet
from feature_flags import Transport as P
from gateway.clients import CallOptions, GrpcTransport, HttpTransport, ServiceClient, Transport
from gateway.routing import RoutedTransport
from tests.integration.bridge.toy_stream import (
    SERVICE,
    ToyConversation,
    process_conversation,
    toy_conversation_service,
)

METHOD = process_conversation()
REQUEST = m.ProcessConversationRequest(session_id="s1", user_message="hi", user_id="u1")
OPTIONS = CallOptions(user_id="u1", request_id="r-1", timeout=5)
SAFE = CallOptions(user_id="u1", request_id="r-1", timeout=5, idempotency_key="turn-1")


@dataclass
class Stack:
    toy: ToyConversation
    server: BridgeServer
    grpc: GrpcTransport
    http: HttpTransport

    def transports(self) -> dict[str, Transport]:
        return {"grpc": self.grpc, "http": self.http}


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    toy = ToyConversation()
    server = BridgeServer(
        name="toy-agent",
        services=[toy_conversation_service(toy)],
        default_http_port=0,
        default_grpc_port=0,
        settings=BridgeSettings(shutdown_grace_seconds=1),
    )
    await server.start()
    s = Stack(toy, server, GrpcTransport(server.grpc_address), HttpTransport(server.http_url))
    yield s
    await s.grpc.aclose()
    await s.http.aclose()
    await server.stop(grace=0)


async def collect(
    transport: Transport, request: BaseModel = REQUEST, options: CallOptions = OPTIONS
) -> tuple[list[BaseModel], BridgeError | None]:
    items: list[BaseModel] = []
    try:
        async for item in transport.stream(METHOD, request, options):
            items.append(item)
    except BridgeError as exc:
        return items, exc
    return items, None


async def test_both_transports_yield_the_same_messages_in_order(stack: Stack) -> None:
    stack.toy.count = 9
    over_grpc, error_g = await collect(stack.grpc)
    over_http, error_h = await collect(stack.http)
    assert error_g is None and error_h is None
    assert over_grpc == over_http
    assert all(isinstance(item, m.ProcessConversationResponse) for item in over_http)
    assert [item.sequence for item in over_http] == list(range(10))  # type: ignore[attr-defined]
    assert [ctx.protocol for ctx in stack.toy.seen] == ["grpc", "http"]
    assert {ctx.request_id for ctx in stack.toy.seen} == {"r-1"}


@pytest.mark.parametrize("before", [0, 3], ids=["before-first-message", "mid-stream"])
async def test_the_same_failure_raises_the_same_exception_on_both(
    stack: Stack, before: int
) -> None:
    stack.toy.count, stack.toy.fail_before = 6, before
    stack.toy.error = FailedPrecondition(
        "model quota used up", info=ErrorInfo("QUOTA", {"model": "m-1"})
    )
    results = {name: await collect(t) for name, t in stack.transports().items()}
    (items_g, error_g), (items_h, error_h) = results["grpc"], results["http"]
    assert len(items_g) == len(items_h) == before
    assert isinstance(error_g, FailedPrecondition) and isinstance(error_h, FailedPrecondition)
    assert error_g == error_h  # code, message, violations, ErrorInfo
    assert error_h.info == ErrorInfo("QUOTA", {"model": "m-1"})


async def test_not_found_before_the_first_message_is_the_same_on_both(stack: Stack) -> None:
    stack.toy.fail_before, stack.toy.error = 0, NotFound("session s1 not found")
    _, error_g = await collect(stack.grpc)
    _, error_h = await collect(stack.http)
    assert isinstance(error_h, NotFound) and error_g == error_h


async def test_bad_input_is_the_same_invalid_argument_on_both(stack: Stack) -> None:
    bad = m.ProcessConversationRequest.model_construct(
        session_id="s1", user_message="hi", user_id=""
    )
    _, error_g = await collect(stack.grpc, bad)
    _, error_h = await collect(stack.http, bad)
    assert isinstance(error_g, InvalidArgument) and error_g == error_h
    assert [v.field for v in error_h.violations] == ["user_id"]
    assert not stack.toy.started.is_set()


@pytest.mark.parametrize("protocol", ["grpc", "http"])
async def test_closing_the_stream_early_stops_the_handler(
    stack: Stack, protocol: Literal["grpc", "http"]
) -> None:
    stack.toy.count, stack.toy.delay = 1000, 0.02
    events = stack.transports()[protocol].stream(METHOD, REQUEST, OPTIONS)
    assert [(await anext(events)).sequence for _ in range(3)] == [0, 1, 2]  # type: ignore[attr-defined]
    await events.aclose()
    await asyncio.wait_for(stack.toy.finished.wait(), 2)
    assert stack.toy.outcome in {"cancelled", "closed"}  # its finally ran
    assert stack.toy.produced < 10


@pytest.mark.parametrize("protocol", ["grpc", "http"])
async def test_the_timeout_bounds_the_whole_stream(
    stack: Stack, protocol: Literal["grpc", "http"]
) -> None:
    stack.toy.count, stack.toy.delay = 100, 0.1
    options = CallOptions(user_id="u1", timeout=0.55)
    items, error = await collect(stack.transports()[protocol], options=options)
    assert 1 <= len(items) <= 6
    assert isinstance(error, DeadlineExceeded)
    await asyncio.wait_for(stack.toy.finished.wait(), 2)
    assert stack.toy.outcome in {"cancelled", "closed"}  # its finally ran


@pytest.mark.parametrize("protocol", ["grpc", "http"])
async def test_a_timeout_before_the_first_message_is_deadline_exceeded(
    stack: Stack, protocol: Literal["grpc", "http"]
) -> None:
    stack.toy.count, stack.toy.delay = 3, 1.0
    items, error = await collect(
        stack.transports()[protocol], options=CallOptions(user_id="u1", timeout=0.2)
    )
    assert items == [] and isinstance(error, DeadlineExceeded)


async def test_no_server_is_unavailable_on_both() -> None:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connections are refused
        transports: list[Transport] = [
            GrpcTransport(f"127.0.0.1:{port}"),
            HttpTransport(f"http://127.0.0.1:{port}"),
        ]
        for transport in transports:
            items, error = await collect(transport, options=CallOptions(timeout=2))
            assert items == [] and isinstance(error, Unavailable), (transport.name, error)
            await transport.aclose()


@pytest.mark.parametrize("protocol", ["grpc", "http"])
async def test_a_server_stopping_mid_stream_is_unavailable_on_both(
    stack: Stack, protocol: Literal["grpc", "http"]
) -> None:
    stack.toy.count, stack.toy.delay = 100, 0.05
    events = stack.transports()[protocol].stream(METHOD, REQUEST, OPTIONS)
    await anext(events)
    stopping = asyncio.create_task(stack.server.stop(grace=0))
    with pytest.raises(Unavailable):
        async for _ in events:
            pass
    await stopping
    assert stack.toy.outcome in {"cancelled", "closed"}  # its finally ran


# -- a broken SSE stream -------------------------------------------------------------------


@dataclass
class CuttingProxy:
    """Forwards HTTP to the bridge and cuts each response after its first SSE event:
    ``clean`` ends the chunked body properly (a proxy that gave up politely: no `end`
    event), otherwise the connection just drops mid-body."""

    upstream: tuple[str, int]
    clean: bool
    server: asyncio.Server | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        pump = asyncio.create_task(self._pump(reader, up_writer))
        self.tasks.add(pump)
        try:
            head = await up_reader.readuntil(b"\r\n\r\n")
            size_line = await up_reader.readuntil(b"\r\n")
            chunk = await up_reader.readexactly(int(size_line, 16) + 2)
            writer.write(head + size_line + chunk + (b"0\r\n\r\n" if self.clean else b""))
            await writer.drain()
        finally:
            pump.cancel()
            up_writer.close()
            writer.close()

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


@pytest.mark.parametrize("clean", [True, False], ids=["no-end-event", "connection-dropped"])
async def test_a_stream_cut_short_is_an_error_never_a_short_answer(
    stack: Stack, clean: bool
) -> None:
    host, port = stack.server.http_address.split(":")
    proxy = CuttingProxy((host, int(port)), clean=clean)
    transport = HttpTransport(await proxy.start())
    try:
        items, error = await collect(transport)
    finally:
        await transport.aclose()
        await proxy.stop()
    assert len(items) == 1
    assert isinstance(error, Unavailable)


# -- the typed client and the routed transport -----------------------------------------------


class Conversations(ServiceClient):
    descriptor = SERVICE

    def process(
        self, request: m.ProcessConversationRequest, options: CallOptions | None = None
    ) -> AsyncIterator[m.ProcessConversationResponse]:
        return self._stream("ProcessConversation", request, options, m.ProcessConversationResponse)


async def test_the_client_retries_a_safe_stream_that_could_not_start(stack: Stack) -> None:
    await stack.server.set_listener(Listener.HTTP, False)
    client = Conversations(
        stack.http, attempts=6, max_retry_seconds=3, methods={"ProcessConversation": METHOD}
    )

    async def reopen() -> None:
        await asyncio.sleep(0.15)
        await stack.server.set_listener(Listener.HTTP, True)

    reopening = asyncio.create_task(reopen())
    items = [item async for item in client.process(REQUEST, SAFE)]
    await reopening
    assert [item.sequence for item in items] == list(range(6))
    assert [ctx.protocol for ctx in stack.toy.seen] == ["http"]


async def test_the_client_does_not_retry_an_unsafe_stream(stack: Stack) -> None:
    await stack.server.set_listener(Listener.HTTP, False)
    client = Conversations(stack.http, attempts=6, methods={"ProcessConversation": METHOD})
    with pytest.raises(Unavailable):
        async for _ in client.process(REQUEST, OPTIONS):
            pass


def routed(stack: Stack, flags: FlagSet, http: Transport | None = None) -> RoutedTransport:
    return RoutedTransport(Decider(lambda: flags), {P.GRPC: stack.grpc, P.HTTP: http or stack.http})


async def test_the_flag_picks_the_protocol_of_a_stream(stack: Stack) -> None:
    stack.toy.count = 2
    for rule in ("grpc", "http"):
        router = routed(stack, FlagSet(services={"workflow_agent": rule}))
        items, error = await collect(router)
        assert error is None and len(items) == 3
        assert stack.toy.seen[-1].protocol == rule
        assert router.stats.calls == {("ProcessConversation", rule): 1}


async def test_a_stream_falls_over_before_its_first_message_only_when_safe(stack: Stack) -> None:
    await stack.server.set_listener(Listener.HTTP, False)
    router = routed(stack, FlagSet(services={"workflow_agent": "http"}))
    items, error = await collect(router, options=SAFE)
    assert error is None and len(items) == 6
    assert [ctx.protocol for ctx in stack.toy.seen] == ["grpc"]
    assert router.stats.fallbacks == {"ProcessConversation": 1}
    _, error = await collect(router, options=OPTIONS)  # no idempotency key: not resent
    assert isinstance(error, Unavailable)
    assert len(stack.toy.seen) == 1


async def test_a_stream_never_falls_over_after_its_first_message(stack: Stack) -> None:
    host, port = stack.server.http_address.split(":")
    proxy = CuttingProxy((host, int(port)), clean=False)
    http = HttpTransport(await proxy.start())
    router = routed(stack, FlagSet(services={"workflow_agent": "http"}), http)
    try:
        items, error = await collect(router, options=SAFE)
    finally:
        await http.aclose()
        await proxy.stop()
    assert len(items) == 1 and isinstance(error, Unavailable)
    assert [ctx.protocol for ctx in stack.toy.seen] == ["http"]  # not replayed on gRPC
    assert router.stats.fallbacks == {}


async def test_keepalive_comments_are_invisible_to_the_caller() -> None:
    toy = ToyConversation(count=3, delay=0.12)
    server = BridgeServer(
        name="toy-agent",
        services=[toy_conversation_service(toy)],
        default_http_port=0,
        default_grpc_port=0,
        settings=BridgeSettings(sse_keepalive_seconds=0.05),
    )
    await server.start()
    grpc_t, http_t = GrpcTransport(server.grpc_address), HttpTransport(server.http_url)
    try:
        over_grpc, error_g = await collect(grpc_t)
        over_http, error_h = await collect(http_t)
    finally:
        await grpc_t.aclose()
        await http_t.aclose()
        await server.stop(grace=0)
    assert error_g is None and error_h is None
    assert over_http == over_grpc and len(over_http) == 4
