"""A real engine + agent + gateway on loopback (ephemeral ports), and user tokens for it.

The ``stack`` fixture (``conftest.py``) starts one per test; the public API and the MCP
API tests use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jwt
import uvicorn

from bridge.settings import BridgeSettings
from feature_flags import Rule
from gateway.app import create_app
from gateway.settings import GatewaySettings
from services.agent.app import Agent
from services.agent.offline import solvers
from services.engine.app import Engine
from services.engine.settings import EngineSettings
from services.llm import OfflineProvider

SECRET = "test-secret-with-enough-bytes-1234"


def token(user: str) -> dict[str, str]:
    claims = {"sub": user, "exp": int(time.time()) + 600}
    return {"authorization": f"Bearer {jwt.encode(claims, SECRET, algorithm='HS256')}"}


class Stack:
    def __init__(self, engine: Engine, agent: Agent, url: str, app: Any, flags_path: Path) -> None:
        self.engine, self.agent, self.url, self.app = engine, agent, url, app
        self.flags_path = flags_path

    async def set_flags(self, **services: str) -> None:
        store = self.app.state.gateway.flags
        await store.update(
            lambda f: f.model_copy(update={"services": {k: Rule.parse(v) for k, v in services.items()}}),
            who="test", why="test",
        )  # fmt: skip


@contextlib.asynccontextmanager
async def running_stack(tmp_path: Path) -> AsyncIterator[Stack]:
    engine = Engine(EngineSettings(data_dir=tmp_path / "db"), BridgeSettings(port=0, grpc_port=0))
    await engine.server.start()
    agent = Agent(
        bridge_settings=BridgeSettings(port=0, grpc_port=0), provider=OfflineProvider(solvers())
    )
    await agent.server.start()
    flags_path = tmp_path / "flags.json"
    settings = GatewaySettings(
        workflow_engine_url=engine.server.http_url,
        workflow_engine_grpc=engine.server.grpc_address,
        workflow_agent_url=agent.server.http_url,
        workflow_agent_grpc=agent.server.grpc_address,
        flags_store=f"file:{flags_path}",
        jwt_secret=SECRET,
        api_keys={"key-for-bob": "bob"},
        admin_token="admin-1",
    )
    app = create_app(settings)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on"))
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    try:
        yield Stack(engine, agent, url, app, flags_path)
    finally:
        server.should_exit = True
        await task
        await engine.server.stop(grace=1)
        await agent.server.stop(grace=1)
