"""Declaring server-streaming RPCs, their SSE event names, and the SSE parser."""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator

import pytest
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import Message
from pydantic import BaseModel

from bridge import sse
from bridge.context import CallContext
from bridge.dispatch import Dispatcher
from bridge.errors import Internal
from bridge.metrics import Metrics
from bridge.service import ServiceDefinition, event_names, get, post
from contract import models as m
from contract.agent.v1 import agent_pb2
from contract.binding import converter, model_for
from contract.engine.v1 import engine_pb2


def _service(descriptor: ServiceDescriptor) -> ServiceDefinition:
    return ServiceDefinition(descriptor, converter=converter(), model_for=model_for)


CONVERSATIONS = agent_pb2.DESCRIPTOR.services_by_name["ConversationService"]
WORKFLOWS = engine_pb2.DESCRIPTOR.services_by_name["WorkflowService"]


async def _events(request: object, ctx: object) -> AsyncIterator[m.ProcessConversationResponse]:
    raise AssertionError("not called")
    yield


async def _unary(request: object, ctx: object) -> object:
    raise AssertionError("not called")


def test_a_streaming_method_is_declared_with_server_stream_only() -> None:
    service = _service(CONVERSATIONS)
    with pytest.raises(ValueError, match="is streaming"):
        service.unary("ProcessConversation", _unary, http=post("/v1/c/{session_id}"))
    method = service.server_stream("ProcessConversation", _events, http=post("/v1/c/{session_id}"))
    assert method.server_streaming
    assert method.body_fields == ("user_message", "user_id", "state")
    service.check_complete()


def test_a_unary_method_is_refused_as_a_stream() -> None:
    with pytest.raises(ValueError, match="not server-streaming"):
        _service(WORKFLOWS).server_stream("GetWorkflow", _events, http=get("/v1/w/{workflow_id}"))


def test_event_names_follow_the_kind_field_lower_cased() -> None:
    method = _service(CONVERSATIONS).server_stream(
        "ProcessConversation", _events, http=post("/v1/c/{session_id}")
    )
    assert method.event_names() == ("status", "message", "workflow", "state")
    event = m.ProcessConversationResponse(
        kind=m.ConversationEventKind.WORKFLOW, session_id="s", sequence=0
    )
    assert method.event_name(event) == "workflow"


def test_a_message_without_kind_is_named_by_its_proto_message() -> None:
    class Plain(BaseModel):
        text: str

    assert event_names(Plain, "ChatChunk") == ("ChatChunk",)


def test_a_kind_that_names_a_reserved_event_is_refused_at_declaration() -> None:
    class Clashing(enum.StrEnum):
        DATA = "DATA"
        END = "END"

    class Event(m.ProcessConversationResponse):
        kind: Clashing  # type: ignore[assignment]

    def resolver(message: type[Message]) -> type[BaseModel]:
        model = model_for(message)
        return Event if model is m.ProcessConversationResponse else model

    service = ServiceDefinition(CONVERSATIONS, converter=converter(), model_for=resolver)
    with pytest.raises(ValueError, match=r"\['end'\] are reserved"):
        service.server_stream("ProcessConversation", _events, http=post("/v1/c/{session_id}"))


# -- the SSE parser ---------------------------------------------------------------------------


def test_the_parser_reads_what_the_bridge_writes_in_any_chunking() -> None:
    wire = (
        sse.encode_event("status", b'{"a":1}', id=0)
        + sse.encode_event("message", b'{"b":"x\\ny"}', id=1)
        + sse.error_event({"error": {"code": "INTERNAL", "message": "m", "details": []}})
        + sse.end_event(2)
    )
    whole = sse.EventParser().feed(wire)
    assert [(e.event, e.id) for e in whole] == [
        ("status", "0"), ("message", "1"), ("error", "1"), ("end", "1"),
    ]  # fmt: skip
    assert whole[3].data == '{"messages":2}'
    for size in (1, 2, 3, 7, 64):
        parser = sse.EventParser()
        events = [e for i in range(0, len(wire), size) for e in parser.feed(wire[i : i + size])]
        assert events == whole, size


def test_the_parser_follows_the_whatwg_rules() -> None:
    parser = sse.EventParser()
    text = b"\xef\xbb\xbf: a comment\r\nevent: e\r\ndata: one\rdata:two\r\nretry: 5\n\ndata: x\n\n"
    events = parser.feed(text[:5]) + parser.feed(text[5:40]) + parser.feed(text[40:])
    assert [(e.event, e.data) for e in events] == [("e", "one\ntwo"), ("message", "x")]


def test_the_parser_bounds_one_event() -> None:
    parser = sse.EventParser(max_event_bytes=100)
    parser.feed(b"data: " + b"x" * 60 + b"\n")
    with pytest.raises(ValueError, match="larger than 100"):
        parser.feed(b"data: " + b"y" * 60)


def test_the_parser_strips_a_bom_split_across_chunks_and_only_at_the_start() -> None:
    parser = sse.EventParser()
    assert parser.feed(b"\xef") == []
    events = parser.feed(b"\xbb\xbfdata: x\n\n") + parser.feed(b"data: \xef\xbb\xbfy\n\n")
    assert [e.data for e in events] == ["x", "\ufeffy"]


def test_a_large_event_in_many_chunks_is_one_event() -> None:
    data = b'{"text":"' + b"x" * 8_000_000 + b'"}'
    wire = sse.encode_event("workflow", data, id=0) + sse.end_event(1)
    parser = sse.EventParser()
    events = [e for i in range(0, len(wire), 16_384) for e in parser.feed(wire[i : i + 16_384])]
    assert [(e.event, len(e.data)) for e in events] == [("workflow", len(data)), ("end", 14)]


async def test_a_handler_that_returns_instead_of_yielding_is_an_internal_error() -> None:
    service = _service(CONVERSATIONS)
    method = service.server_stream(
        "ProcessConversation",
        _unary,
        http=post("/v1/c/{session_id}"),
    )
    dispatcher = Dispatcher(metrics=Metrics(), service_token=None)
    ctx = CallContext(protocol="http", service=method.service, method=method.name, request_id="r")

    async def decode() -> BaseModel:
        return m.ProcessConversationRequest(session_id="s", user_message="hi", user_id="u")

    with pytest.raises(Internal, match="request id r"):
        await dispatcher.stream(method, ctx, None, decode, lambda message: message)
