"""Shared test configuration: real-service availability and the fixtures' location."""

from __future__ import annotations

import os
import socket

import pytest

pytest_plugins = ["tests.fakes.llm_servers"]
"""Suite-wide fixtures: ``fake_openai`` / ``fake_anthropic`` (fake LLM servers on loopback)."""

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
"""Set by CI: a test that needs PostgreSQL/Redis fails instead of skipping."""


def service_reachable(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Skip (or, under REQUIRE_SERVICES=1, fail) when a real server is not reachable."""
    if service_reachable(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} (REQUIRE_SERVICES=1: real services are mandatory here)")
    pytest.skip(f"{message}; set REQUIRE_SERVICES=1 to make this a failure")


def require_tool_or_skip(name: str) -> None:
    """A program the test needs is missing: skip, or fail under REQUIRE_SERVICES=1."""
    message = f"{name} is not installed"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message} (REQUIRE_SERVICES=1: .ci/run installs it)")
    pytest.skip(message)
