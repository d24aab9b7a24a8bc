"""bridgectl as a person runs it: a real process, health on both protocols, SIGTERM drains."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.loadgen import free_port, wait_port
from bridge.stack import plan_stack


def test_serve_engine_starts_answers_and_drains_on_sigterm(tmp_path: Path) -> None:
    http_port, grpc_port = free_port(), free_port()
    env = {**os.environ, "PORT": str(http_port), "GRPC_PORT": str(grpc_port),
           "DATA_DIR": str(tmp_path), "LOG_FORMAT": "json"}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge.cli", "serve", "engine"], env=env,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_port(http_port)
        wait_port(grpc_port)
        assert httpx.get(f"http://127.0.0.1:{http_port}/health").json()["status"] == "SERVING"
        with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=5
            )
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0
    messages = [json.loads(line)["msg"] for line in stderr.splitlines() if line.startswith("{")]
    assert messages.index("started") < messages.index("stopped")
    assert (tmp_path / "engine.db").exists()


def test_stack_plan_takes_ports_from_the_platform_table() -> None:
    plan = plan_stack(["engine"])
    assert plan.env["engine"]["PORT"] == "8002"
    assert plan.env["engine"]["GRPC_PORT"] == "50050"
    assert plan.env["engine"]["WORKFLOW_ENGINE_URL"] == "http://127.0.0.1:8002"
    assert not plan.env["engine"]["WORKFLOW_ENGINE_URL"].endswith("/v1"), (
        "base URLs carry no version"
    )
    assert plan.health_urls["engine"] == "http://127.0.0.1:8002/health"
    assert plan.commands["engine"][-2:] == ["serve", "engine"]


def test_unknown_service_is_a_clear_error() -> None:
    done = subprocess.run([sys.executable, "-m", "bridge.cli", "serve", "nope"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode != 0
    assert "unknown service 'nope'" in done.stderr


def test_serve_agent_answers_on_both_protocols_and_is_listed(tmp_path: Path) -> None:
    listed = subprocess.run([sys.executable, "-m", "bridge.cli", "list"],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert {line.split("\t")[0] for line in listed.stdout.splitlines()} >= {
        "agent",
        "engine",
        "gateway",
    }
    assert set(plan_stack(["agent", "engine", "gateway"]).commands) == {
        "agent",
        "engine",
        "gateway",
    }
    http_port, grpc_port = free_port(), free_port()
    env = {**os.environ, "PORT": str(http_port), "GRPC_PORT": str(grpc_port), "LOG_FORMAT": "json",
           "LLM_PROVIDER": "offline"}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "bridge.cli", "serve", "agent"], env=env,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        wait_port(http_port)
        wait_port(grpc_port)
        reply = httpx.post(
            f"http://127.0.0.1:{http_port}/v1/workflows/generate",
            json={"description": "every hour fetch https://example.com/a.json"}, timeout=10,
        )  # fmt: skip
        assert reply.status_code == 200 and reply.json()["success"] is True
        with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
            health = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=5
            )
        assert health.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert proc.returncode == 0
