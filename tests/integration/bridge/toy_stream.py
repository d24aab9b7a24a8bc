"""A toy server-streaming service on the contract's ConversationService, for stream tests.

Declared with the bridge like a real service (``ServiceDefinition.server_stream``); the
handler yields ``count`` events and can be told to fail before or after some of them,
to wait between events, or to make each event large. It records what it produced and
whether its ``finally`` ran, so tests can observe back-pressure and cancellation.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from bridge.context import CallContext
from bridge.service import HttpRoute, MethodInfo, ServiceDefinition, post
from contract import models as m
from contract.agent.v1 import agent_pb2
from contract.binding import converter, model_for

SERVICE = agent_pb2.DESCRIPTOR.services_by_name["ConversationService"]
ROUTE: HttpRoute = post("/v1/conversations/{session_id}/turns")
KINDS = (
    m.ConversationEventKind.STATUS,
    m.ConversationEventKind.MESSAGE,
    m.ConversationEventKind.WORKFLOW,
)


@dataclass
class ToyConversation:
    count: int = 5
    fail_before: int | None = None
    """Raise ``error`` before yielding the event with this index (0: before the first)."""
    error: BaseException = field(default_factory=lambda: RuntimeError("toy failure"))
    delay: float = 0.0
    """Seconds to wait before each event."""
    text_size: int = 0
    """Characters of text in every event (large events fill buffers quickly)."""
    state_event: bool = True
    """End with a STATE event (``count`` + 1 events in all); False: exactly ``count``."""
    produced: int = 0
    """Events the handler has yielded so far (across calls)."""
    started: asyncio.Event = field(default_factory=asyncio.Event)
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    """Set by the handler's ``finally``: it ran, however the stream ended."""
    outcome: str = ""
    """How the handler's generator ended: "done", "closed", "cancelled", "failed"."""
    seen: list[CallContext] = field(default_factory=list)

    async def process(
        self, req: m.ProcessConversationRequest, ctx: CallContext
    ) -> AsyncIterator[m.ProcessConversationResponse]:
        self.seen.append(ctx)
        self.started.set()
        self.outcome = "failed"
        try:
            for i in range(self.count):
                if self.fail_before == i:
                    raise self.error
                if self.delay:
                    await asyncio.sleep(self.delay)
                yield m.ProcessConversationResponse(
                    kind=KINDS[i % len(KINDS)],
                    session_id=req.session_id,
                    sequence=i,
                    stage=f"stage-{i}",
                    text=(f"{req.user_message} #{i} " + "x" * self.text_size)[:20_000],
                )
                self.produced += 1
            if self.fail_before == self.count:
                raise self.error
            if self.state_event:
                yield m.ProcessConversationResponse(
                    kind=m.ConversationEventKind.STATE,
                    session_id=req.session_id,
                    sequence=self.count,
                    state={"turns": 1, "last": req.user_message},
                )
                self.produced += 1
            self.outcome = "done"
        except GeneratorExit:
            self.outcome = "closed"
            raise
        except asyncio.CancelledError:
            self.outcome = "cancelled"
            raise
        finally:
            self.finished.set()


def toy_conversation_service(state: ToyConversation) -> ServiceDefinition:
    service = ServiceDefinition(SERVICE, converter=converter(), model_for=model_for)
    service.server_stream("ProcessConversation", state.process, http=ROUTE)
    return service


def process_conversation() -> MethodInfo:
    """The method as the gateway's transports see it."""
    return MethodInfo.resolve(SERVICE, "ProcessConversation", model_for, ROUTE)
