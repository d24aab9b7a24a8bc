"""Generated proto code: fresh, importable from anywhere, with no import-path tricks."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

from scripts import genproto

ROOT = Path(__file__).resolve().parents[2]


def test_committed_generated_code_is_fresh(tmp_path: Path) -> None:
    genproto.generate(tmp_path)
    fresh = {p.relative_to(tmp_path) for p in genproto.generated_files(tmp_path)}
    committed = {p.relative_to(ROOT) for p in genproto.generated_files(ROOT)}
    assert fresh == committed, "generated file set differs: run `make proto`"
    stale = [
        str(p) for p in sorted(fresh) if not filecmp.cmp(tmp_path / p, ROOT / p, shallow=False)
    ]
    assert not stale, f"stale generated code (run `make proto`): {stale}"


def test_generated_code_imports_from_any_directory(tmp_path: Path) -> None:
    code = (
        "import contract.engine.v1.engine_pb2_grpc as g, contract.agent.v1.agent_pb2_grpc as a;"
        "print(g.WorkflowServiceStub.__name__, a.WorkflowAgentStub.__name__)"
    )
    for cwd in (tmp_path, Path("/")):
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
            env={"PATH": "/usr/bin:/bin"},  # no PYTHONPATH: only the installed package
        )
        assert out.stdout.split() == ["WorkflowServiceStub", "WorkflowAgentStub"]


def test_no_import_path_tricks_anywhere() -> None:
    # The project's own files (what git tracks), not virtualenvs or tool caches beside them.
    tracked = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    sources = [ROOT / p for p in tracked if not p.startswith("tests/")]
    tricks = ("sys.path.insert", "sys.path.append", "sys.path[", "site.addsitedir")
    offenders = [
        str(p.relative_to(ROOT)) for p in sources if any(t in p.read_text() for t in tricks)
    ]
    assert not offenders
    relative = [
        str(p.relative_to(ROOT))
        for p in genproto.generated_files(ROOT)
        if "from . import" in p.read_text()
    ]
    assert not relative, "generated code must use absolute package imports"
