"""The stack a drill runs against: its own (engine + gateway processes) or one it is given.

Its own stack binds free ephemeral ports only (never the fixed 8000-8002/50050-50051 that
``make up`` uses), keeps its data in a temporary SQLite (or ``--database-url``) and its
flags in a temporary file (or ``--flags-store``, e.g. a Redis database of its own), and
stops both processes at the end. Either way the drill talks to the stack through
``Endpoints``: the gateway's public API and /admin/cutover, the engine's admin listener
switch (over gRPC, so it works while HTTP is off) and its gRPC API for counting writes.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.loadgen import free_port, wait_port


@dataclass(frozen=True, slots=True)
class Endpoints:
    gateway_url: str
    engine_url: str
    engine_grpc: str
    flags_store: str
    admin_token: str
    jwt_secret: str
    service_token: str | None = None


@dataclass(frozen=True, slots=True)
class StackOptions:
    database_url: str | None = None
    flags_store: str | None = None
    gateway_env: tuple[tuple[str, str], ...] = ()
    """Extra gateway settings (e.g. ROLLBACK_* thresholds)."""
    log_dir: Path | None = None
    """Where engine.log and gateway.log go (default: the temporary directory)."""


@contextlib.contextmanager
def _serve(name: str, env: dict[str, str], ports: list[int], log: Path) -> Iterator[None]:
    """``bridgectl serve <name>`` in a child process, its log kept, stopped by SIGTERM."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bridge.cli", "serve", name],
            env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            for port in ports:
                wait_port(port)
            yield
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def own_stack(options: StackOptions) -> Iterator[Endpoints]:
    """Engine and gateway in their own processes (``bridgectl serve``), stopped on exit."""
    with tempfile.TemporaryDirectory(prefix="drill-") as tmp_dir:
        tmp = Path(tmp_dir)
        engine_http, engine_grpc, gateway, agent_http, agent_grpc = (free_port() for _ in range(5))
        flags = options.flags_store or f"file:{tmp / 'flags.json'}"
        admin, secret = secrets.token_hex(16), secrets.token_hex(32)
        engine_env = {
            "PORT": str(engine_http),
            "GRPC_PORT": str(engine_grpc),
            "LOG_LEVEL": "WARNING",
            # In-flight HTTP calls get this long when the listener is switched off.
            "SHUTDOWN_GRACE_SECONDS": "2",
        }
        if options.database_url:
            engine_env["DATABASE_URL"] = options.database_url
        else:
            engine_env["DATA_DIR"] = str(tmp / "db")
        gateway_env = {
            "PORT": str(gateway),
            "WORKFLOW_ENGINE_URL": f"http://127.0.0.1:{engine_http}",
            "WORKFLOW_ENGINE_GRPC": f"127.0.0.1:{engine_grpc}",
            # Nothing listens here: the drill never calls the agent, and the gateway must
            # not reach an agent someone else runs on the default ports.
            "WORKFLOW_AGENT_URL": f"http://127.0.0.1:{agent_http}",
            "WORKFLOW_AGENT_GRPC": f"127.0.0.1:{agent_grpc}",
            "FLAGS_STORE": flags,
            "JWT_SECRET": secret,
            "ADMIN_TOKEN": admin,
            "LOG_LEVEL": "WARNING",
            **dict(options.gateway_env),
        }
        logs = options.log_dir or tmp
        with (
            _serve("engine", engine_env, [engine_http, engine_grpc], logs / "engine.log"),
            _serve("gateway", gateway_env, [gateway], logs / "gateway.log"),
        ):
            yield Endpoints(
                gateway_url=f"http://127.0.0.1:{gateway}",
                engine_url=f"http://127.0.0.1:{engine_http}",
                engine_grpc=f"127.0.0.1:{engine_grpc}",
                flags_store=flags,
                admin_token=admin,
                jwt_secret=secret,
            )
