"""The agent served for real (bridge on loopback, ephemeral ports) with the offline provider,
a real engine beside it, and a small HTTP server the generated workflows call."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from aiohttp import web

from bridge.settings import BridgeSettings
from contract.agent.v1 import agent_pb2_grpc
from services.agent.app import Agent
from services.agent.offline import solvers
from services.agent.settings import AgentSettings
from services.engine.app import Engine
from services.engine.settings import EngineSettings
from services.llm import LLMProvider, OfflineProvider


@dataclass(slots=True)
class AgentClients:
    agent: Agent
    http: httpx.AsyncClient
    stub: agent_pb2_grpc.WorkflowAgentStub


async def start_agent(provider: LLMProvider, rounds: int = 2) -> Agent:
    agent = Agent(
        AgentSettings(agent_max_repair_rounds=rounds),
        BridgeSettings(port=0, grpc_port=0, shutdown_grace_seconds=1),
        provider=provider,
    )
    await agent.server.start()
    return agent


async def clients_for(agent: Agent) -> AsyncIterator[AgentClients]:
    try:
        async with (
            httpx.AsyncClient(base_url=agent.server.http_url, timeout=15) as http,
            grpc.aio.insecure_channel(agent.server.grpc_address) as channel,
        ):
            yield AgentClients(agent, http, agent_pb2_grpc.WorkflowAgentStub(channel))
    finally:
        await agent.server.stop(grace=0)


@pytest.fixture
async def agent() -> AsyncIterator[AgentClients]:
    async for clients in clients_for(await start_agent(OfflineProvider(solvers()))):
        yield clients


@dataclass(slots=True)
class EngineClients:
    engine: Engine
    http: httpx.AsyncClient


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[EngineClients]:
    instance = Engine(EngineSettings(data_dir=tmp_path), BridgeSettings(port=0, grpc_port=0))
    await instance.server.start()
    try:
        async with httpx.AsyncClient(base_url=instance.server.http_url, timeout=10) as http:
            yield EngineClients(instance, http)
    finally:
        await instance.server.stop(grace=1)


@dataclass(frozen=True, slots=True)
class Received:
    method: str
    path: str
    body: Any


@dataclass(slots=True)
class Upstream:
    """A real HTTP server on 127.0.0.1:<ephemeral>: each path answers a scripted JSON
    body, and every request is recorded (method, path, parsed JSON body)."""

    base_url: str = ""
    answers: dict[str, Any] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)

    def to(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    state = Upstream()

    async def handle(request: web.Request) -> web.Response:
        raw = await request.read()
        body: Any = None
        if raw:
            try:
                body = await request.json()
            except ValueError:
                body = raw.decode()
        state.received.append(Received(request.method, request.path, body))
        answer: Any | Callable[[], Any] = state.answers.get(request.path, {"ok": True})
        return web.json_response(answer() if callable(answer) else answer)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    state.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        yield state
    finally:
        await runner.cleanup()
