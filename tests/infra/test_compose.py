"""docker-compose.yml: validated by `docker-compose config`, checked against contract/ports.py."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract.ports import PORTS
from tests.conftest import require_tool_or_skip

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
SECRETS = {"POSTGRES_PASSWORD": "test-password", "JWT_SECRET": "test-jwt-secret"}
BACKENDS = ("engine", "agent")


@pytest.fixture(scope="module")
def resolved() -> dict[str, Any]:
    """The file as docker-compose itself resolves it (anchors, merges, variables)."""
    if shutil.which("docker-compose") is None:
        require_tool_or_skip("docker-compose")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "DOCKER_"))}
    for name in ("TRANSPORT", "FLAGS_STORE", "IMAGE_TAG", "LLM_PROVIDER"):
        env.pop(name, None)
    result = subprocess.run(
        ["docker-compose", "--project-directory", str(ROOT), "-f", str(COMPOSE), "config"],
        capture_output=True,
        text=True,
        env={**env, **SECRETS},
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = yaml.safe_load(result.stdout)
    return config


def test_the_five_services(resolved: dict[str, Any]) -> None:
    assert set(resolved["services"]) == {
        "redis",
        "postgres",
        PORTS["engine"].service,
        PORTS["agent"].service,
        PORTS["gateway"].service,
    }


def test_published_ports_follow_contract_ports(resolved: dict[str, Any]) -> None:
    for name, ports in PORTS.items():
        service = resolved["services"][ports.service]
        published = {(int(p["published"]), int(p["target"])) for p in service["ports"]}
        expected = {(ports.http, ports.container_http)}
        if ports.grpc is not None:
            expected.add((ports.grpc, ports.grpc))
        assert published == expected, name
        env = service["environment"]
        assert env["PORT"] == str(ports.container_http)
        if ports.grpc is not None:
            assert env["GRPC_PORT"] == str(ports.grpc)
            assert env["PROTOCOLS"] == "grpc,http"


def test_gateway_reaches_the_services_by_container_port(resolved: dict[str, Any]) -> None:
    env = resolved["services"][PORTS["gateway"].service]["environment"]
    for name in BACKENDS:
        ports, key = PORTS[name], f"WORKFLOW_{name.upper()}"
        assert env[f"{key}_URL"] == f"http://{ports.service}:{ports.container_http}"
        assert env[f"{key}_GRPC"] == f"{ports.service}:{ports.grpc}"
        assert not re.search(r"/v\d+$", env[f"{key}_URL"]), "base URLs carry no version"
    assert env["TRANSPORT"] == "grpc"
    assert env["FLAGS_STORE"].startswith("redis://redis:6379/")
    assert env["JWT_SECRET"] == SECRETS["JWT_SECRET"]


def test_engine_uses_postgres_and_redis(resolved: dict[str, Any]) -> None:
    env = resolved["services"][PORTS["engine"].service]["environment"]
    assert (
        env["DATABASE_URL"]
        == f"postgresql://flowbridge:{SECRETS['POSTGRES_PASSWORD']}@postgres:5432/flowbridge"
    )
    assert env["REDIS_URL"] == "redis://redis:6379/0"


def test_llm_keys_come_from_the_environment(resolved: dict[str, Any]) -> None:
    env = resolved["services"][PORTS["agent"].service]["environment"]
    assert env["LLM_PROVIDER"] == "auto"
    assert {"OPENAI_API_KEY", "ANTHROPIC_API_KEY"} <= set(env)
    source = COMPOSE.read_text()
    assert "OPENAI_API_KEY: ${OPENAI_API_KEY:-}" in source
    assert "ANTHROPIC_API_KEY: ${ANTHROPIC_API_KEY:-}" in source
    # Every secret is a variable reference, never a literal.
    for name in ("POSTGRES_PASSWORD", "JWT_SECRET", "SERVICE_TOKEN", "ADMIN_TOKEN", "API_KEYS"):
        for line in source.splitlines():
            if line.strip().startswith(f"{name}:"):
                assert "${" + name in line, line


def test_healthchecks_probe_both_protocols(resolved: dict[str, Any]) -> None:
    for ports in PORTS.values():
        test = resolved["services"][ports.service]["healthcheck"]["test"]
        assert test[:4] == ["CMD", "python", "-m", "bridge.healthcheck"]
        assert f"http://127.0.0.1:{ports.container_http}/health" in test
        if ports.grpc is not None:
            assert test[test.index("--grpc") + 1] == f"127.0.0.1:{ports.grpc}"
        else:
            assert "--grpc" not in test


def test_start_order_waits_for_health(resolved: dict[str, Any]) -> None:
    services = resolved["services"]
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            assert condition == {"condition": "service_healthy"}, (name, dependency)
            assert "healthcheck" in services[dependency]
    gateway = services[PORTS["gateway"].service]["depends_on"]
    assert {PORTS["engine"].service, PORTS["agent"].service, "redis"} <= set(gateway)
    assert {"postgres", "redis"} <= set(services[PORTS["engine"].service]["depends_on"])


def test_one_image_per_service_command(resolved: dict[str, Any]) -> None:
    for name, ports in PORTS.items():
        service = resolved["services"][ports.service]
        assert service["command"] == [name]
        assert service["build"]["dockerfile"] == "Dockerfile"


def test_a_missing_secret_is_refused() -> None:
    if shutil.which("docker-compose") is None:
        require_tool_or_skip("docker-compose")
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    result = subprocess.run(
        ["docker-compose", "--project-directory", str(ROOT), "-f", str(COMPOSE), "config"],
        capture_output=True,
        text=True,
        env={**env, "JWT_SECRET": "x"},
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr
