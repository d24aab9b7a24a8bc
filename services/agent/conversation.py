"""The agent as a conversation: each ``ProcessConversation`` call is one turn, streamed.

A turn reads the user's message against the state of the previous turn (answers to the
questions asked, or more detail), runs the LangGraph pipeline and streams what happens:
STATUS events as each graph stage finishes, MESSAGE events for what the assistant says
(clarifying questions, problems), a WORKFLOW event when a valid workflow is ready, and a
final STATE event with the state to send with the next turn.

The server keeps nothing between turns: the client sends the state back. When
``REDIS_URL`` is set, the state is also checkpointed there (per user and session, with a
TTL), so a client may omit it.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any, Protocol

from bridge.context import CallContext
from bridge.service import ServiceDefinition
from contract import models as m
from contract.agent.v1 import agent_pb2
from contract.binding import converter, model_for
from contract.routes import route
from services.agent.graph import AgentGraph
from services.agent.understanding import URL

Kind = m.ConversationEventKind
_ANSWER = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*[:=]\s*(\S.*?)\s*$", re.I | re.M)


class StateStore(Protocol):
    async def load(self, user: str, session: str) -> dict[str, Any] | None: ...
    async def save(self, user: str, session: str, state: dict[str, Any]) -> None: ...


class RedisStateStore:
    """Conversation checkpoints in Redis, one key per user and session, with a TTL."""

    def __init__(
        self, redis: Any, *, ttl_seconds: int, prefix: str = "flowbridge:agent:conv"
    ) -> None:
        self.redis = redis
        self.ttl = ttl_seconds
        self.prefix = prefix

    def _key(self, user: str, session: str) -> str:
        return f"{self.prefix}:{user}:{session}"

    async def load(self, user: str, session: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self._key(user, session))
        if raw is None:
            return None
        value = json.loads(raw)
        return value if isinstance(value, dict) else None

    async def save(self, user: str, session: str, state: dict[str, Any]) -> None:
        await self.redis.set(self._key(user, session), json.dumps(state), ex=self.ttl)


def read_turn(state: dict[str, Any] | None, message: str) -> tuple[str, dict[str, str]]:
    """The description and context for this turn: answers fill the questions asked last
    turn (``key: value`` lines, or URLs in order); anything else adds to the request."""
    state = state or {}
    description = str(state.get("description", "")).strip()
    context = {str(k): str(v) for k, v in (state.get("context") or {}).items()}
    pending = [str(k) for k in state.get("pending") or []]
    answered = False
    for key, value in _ANSWER.findall(message):
        if key in pending or key.endswith(("_url", "_to")):
            # A URL or an address is one token: "api_url: https://x and ..." answers one.
            found = URL.search(value)
            single = key.endswith(("_url", "_to"))
            context[key] = (
                found.group(0).rstrip(".") if found else value.split()[0] if single else value
            )
            answered = True
    open_keys = [k for k in pending if k not in context and k.endswith("_url")]
    urls = [u.rstrip(".") for u in URL.findall(message) if u.rstrip(".") not in context.values()]
    for key in sorted(open_keys, key=lambda k: not k.startswith("slack")):
        slack = [u for u in urls if "hooks.slack.com/" in u]
        pick = (
            slack if key.startswith("slack") and slack else [u for u in urls if u not in slack]
        ) or urls
        if pick:
            context[key] = pick[0]
            urls.remove(pick[0])
            answered = True
    if not answered or not description:
        description = f"{description} {message}".strip() if description else message.strip()
    return description[:5000], context


class ConversationHandlers:
    def __init__(self, graph: AgentGraph, store: StateStore | None = None) -> None:
        self.graph = graph
        self.store = store

    async def process(
        self, req: m.ProcessConversationRequest, ctx: CallContext
    ) -> AsyncIterator[m.ProcessConversationResponse]:
        state = req.state
        if state is None and self.store is not None:
            state = await self.store.load(req.user_id, req.session_id)
        description, context = read_turn(state, req.user_message)
        sequence = 0

        def event(kind: Kind, **fields: Any) -> m.ProcessConversationResponse:
            nonlocal sequence
            sequence += 1
            return m.ProcessConversationResponse(
                kind=kind, session_id=req.session_id, sequence=sequence - 1, **fields
            )

        yield event(Kind.STATUS, stage="understanding", text="Reading your request")
        result: dict[str, Any] = {}
        async for stage, outcome in self.graph.generate_stages(description, context, {}):
            if outcome is not None:
                result = outcome
            elif stage != "understand":
                yield event(Kind.STATUS, stage=stage, text=_STAGES.get(stage, stage))
        missing: list[str] = result.get("missing_info", [])
        workflow = result.get("workflow")
        if result.get("success") and workflow is not None:
            yield event(
                Kind.MESSAGE,
                text=f"Here is your workflow {workflow.name!r} ({len(workflow.nodes)} nodes).",
            )
            yield event(Kind.WORKFLOW, workflow=workflow)
        elif missing:
            questions = "\n".join(f"- {line}" for line in missing)
            yield event(
                Kind.MESSAGE,
                text=f"Before I can finish, I need to know:\n{questions}",
                missing_info=missing,
            )
        else:
            problems = "; ".join(result.get("errors", [])) or "no workflow came out"
            yield event(Kind.MESSAGE, text=f"I could not build a valid workflow: {problems}")
        pending = [line.split(":", 1)[0].strip() for line in missing]
        new_state: dict[str, Any] = {
            "description": description,
            "context": context,
            "pending": pending,
            "done": bool(result.get("success")),
        }
        if self.store is not None:
            await self.store.save(req.user_id, req.session_id, new_state)
        yield event(Kind.STATE, state=new_state)


_STAGES = {
    "detect_missing": "Checking what is missing",
    "plan": "Planning the steps",
    "build": "Building the workflow",
    "validate": "Validating",
    "repair": "Repairing what failed validation",
}


def conversation_service(handlers: ConversationHandlers) -> ServiceDefinition:
    service = ServiceDefinition(
        agent_pb2.DESCRIPTOR.services_by_name["ConversationService"],
        converter=converter(),
        model_for=model_for,
    )
    name = "ProcessConversation"
    service.server_stream(name, handlers.process, http=route(service.name, name))
    return service
