"""`buf lint` passes on protos/ with the committed buf.yaml, and does catch violations."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUF = Path(sys.executable).parent / "buf"


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BUF), "lint"], cwd=root, capture_output=True, text=True, check=False)


def test_buf_lint_passes() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_buf_lint_catches_a_violation(tmp_path: Path) -> None:
    shutil.copy(ROOT / "buf.yaml", tmp_path / "buf.yaml")
    shutil.copytree(ROOT / "protos", tmp_path / "protos")
    proto = tmp_path / "protos/contract/workflow/v1/workflow.proto"
    proto.write_text(proto.read_text() + "\nenum bad_enum { FIRST = 0; }\n")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert "bad_enum" in result.stdout
