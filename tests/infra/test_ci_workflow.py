"""The GitHub Actions workflow: valid YAML with lint, test and image jobs that run the
project's own verbs (no Actions runner here, so its structure is what is checked)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


@pytest.fixture(scope="module")
def ci() -> dict[str, Any]:
    return load(ROOT / ".github" / "workflows" / "ci.yml")


def steps(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) + str(step.get("uses", "")) for step in job["steps"])


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_workflow_is_valid(path: Path) -> None:
    data = load(path)
    # YAML 1.1 reads the key `on` as True.
    triggers = data.get("on") or data.get(True)  # type: ignore[call-overload]
    assert triggers, "no trigger"
    assert data["jobs"]
    for name, job in data["jobs"].items():
        assert job["runs-on"], name
        assert isinstance(job.get("timeout-minutes"), int), f"{name}: no timeout"
        for step in job["steps"]:
            assert ("run" in step) != ("uses" in step), step
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", step["uses"]), step["uses"]
        for needed in job.get("needs", []):
            assert needed in data["jobs"]


def test_lint_test_and_image_jobs(ci: dict[str, Any]) -> None:
    jobs = ci["jobs"]
    assert {"lint", "test", "image"} <= set(jobs)
    assert "make lint" in steps(jobs["lint"])
    assert "hadolint Dockerfile" in steps(jobs["lint"])
    assert "make test" in steps(jobs["test"])
    assert "docker/build-push-action@v6" in steps(jobs["image"])
    assert ci["permissions"] == {"contents": "read"}


def test_the_test_job_has_real_services_and_requires_them(ci: dict[str, Any]) -> None:
    job = ci["jobs"]["test"]
    assert job["env"]["REQUIRE_SERVICES"] == "1"
    assert job["services"]["postgres"]["ports"] == ["5432:5432"]
    assert job["services"]["postgres"]["env"]["POSTGRES_DB"] == "test"
    assert job["services"]["redis"]["ports"] == ["6379:6379"]
    body = steps(job)
    for tool in ("chromium", "docker-compose", "checkov"):
        assert tool in body


def test_the_image_job_builds_the_dockerfile_and_imports_the_proto_code(ci: dict[str, Any]) -> None:
    job = ci["jobs"]["image"]
    build = next(
        s for s in job["steps"] if s.get("uses", "").startswith("docker/build-push-action")
    )
    assert build["with"]["file"] == "Dockerfile"
    assert build["with"]["push"] is False
    assert "from contract.engine.v1 import engine_pb2_grpc" in steps(job)
