"""A real bridge server on loopback (ephemeral ports) with the toy service, per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import grpc
import httpx
import pytest

from bridge.health import Check
from bridge.server import BridgeServer
from bridge.settings import BridgeSettings
from contract.engine.v1 import engine_pb2_grpc
from tests.integration.bridge.toy import ToyWorkflows, toy_service

StartServer = Callable[..., Awaitable[BridgeServer]]


@pytest.fixture
def toy() -> ToyWorkflows:
    return ToyWorkflows()


@pytest.fixture
async def start_server(toy: ToyWorkflows) -> AsyncIterator[StartServer]:
    servers: list[BridgeServer] = []

    async def start(
        health_checks: dict[str, Check] | None = None, **settings: object
    ) -> BridgeServer:
        server = BridgeServer(
            name="toy-engine",
            services=[toy_service(toy)],
            default_http_port=0,
            default_grpc_port=0,
            settings=BridgeSettings(shutdown_grace_seconds=5, **settings),
            health_checks=health_checks,
        )
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop(grace=0)


@pytest.fixture
async def server(start_server: StartServer) -> BridgeServer:
    return await start_server()


@pytest.fixture
async def http(server: BridgeServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.http_url, timeout=10) as client:
        yield client


@pytest.fixture
async def channel(server: BridgeServer) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(server.grpc_address) as channel:
        yield channel


@pytest.fixture
def stub(channel: grpc.aio.Channel) -> engine_pb2_grpc.WorkflowServiceStub:
    return engine_pb2_grpc.WorkflowServiceStub(channel)
