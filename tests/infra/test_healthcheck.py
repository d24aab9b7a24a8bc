"""bridge.healthcheck, the probe the Dockerfile and compose run, against a real bridge server."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator

import pytest

from bridge.healthcheck import run_probes, targets_from_env
from bridge.server import BridgeServer
from bridge.settings import BridgeSettings
from tests.integration.bridge.toy import ToyWorkflows, toy_service


class Dependency:
    """A health dependency the test can break."""

    def __init__(self) -> None:
        self.up = True

    async def __call__(self) -> None:
        if not self.up:
            raise ConnectionError("database unreachable")


@pytest.fixture
async def served() -> AsyncIterator[tuple[BridgeServer, Dependency]]:
    dependency = Dependency()
    server = BridgeServer(
        name="toy-engine",
        services=[toy_service(ToyWorkflows())],
        default_http_port=0,
        default_grpc_port=0,
        settings=BridgeSettings(shutdown_grace_seconds=1),
        health_checks={"database": dependency},
    )
    await server.start()
    yield server, dependency
    await server.stop(grace=0)


async def _probe(server: BridgeServer) -> list[tuple[bool, str]]:
    results = await run_probes(
        [f"{server.http_url}/health"], [server.grpc_address], service="", seconds=3
    )
    return [(r.ok, r.detail) for r in results]


async def test_both_protocols_pass_then_fail_with_a_dependency(
    served: tuple[BridgeServer, Dependency],
) -> None:
    server, dependency = served
    assert await _probe(server) == [(True, "HTTP 200"), (True, "SERVING")]
    dependency.up = False
    await server.health.evaluate(fresh=True)
    assert await _probe(server) == [(False, "HTTP 503"), (False, "NOT_SERVING")]


async def test_a_closed_grpc_listener_fails_the_probe(
    served: tuple[BridgeServer, Dependency],
) -> None:
    server, _ = served
    address = server.grpc_address
    await server.stop(grace=0)
    results = await run_probes([], [address], service="", seconds=1)
    assert not results[0].ok
    assert results[0].detail.startswith(("UNAVAILABLE", "DEADLINE_EXCEEDED"))


async def test_the_module_exits_nonzero_when_one_protocol_fails(
    served: tuple[BridgeServer, Dependency],
) -> None:
    """The command line the image runs: exit 0 healthy, 1 as soon as one probe fails."""
    server, _ = served

    async def run(*args: str) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bridge.healthcheck",
            *args,
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await proc.communicate()
        return proc.returncode or 0, out.decode()

    code, out = await run("--http", f"{server.http_url}/health", "--grpc", server.grpc_address)
    assert code == 0, out
    assert out.count("ok  ") == 2
    code, out = await run(
        "--http", f"{server.http_url}/health", "--grpc", "127.0.0.1:1", "--timeout", "1"
    )
    assert code == 1
    assert "FAIL grpc://127.0.0.1:1" in out


def test_targets_come_from_the_service_environment() -> None:
    env = {"PROTOCOLS": "grpc,http", "PORT": "8000", "GRPC_PORT": "50050"}
    assert targets_from_env(env) == (["http://127.0.0.1:8000/health"], ["127.0.0.1:50050"])
    assert targets_from_env({**env, "PROTOCOLS": "http"}) == (["http://127.0.0.1:8000/health"], [])
    # The gateway has no gRPC port: only HTTP is probed.
    assert targets_from_env({"PORT": "8000"}) == (["http://127.0.0.1:8000/health"], [])
