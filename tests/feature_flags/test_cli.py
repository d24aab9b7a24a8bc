"""bridgectl flags against a file store, as an operator would use it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def _flags(*args: str, store: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bridge.cli", "flags", *args],
        env={**os.environ, "FLAGS_STORE": f"file:{store}", "USER": "ops"},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_set_rollback_kill_switch_and_history(tmp_path: Path) -> None:
    store = tmp_path / "flags.json"
    done = _flags("set", "workflow_engine", "http:25", "--reason", "step 1", store=store)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["services"] == {"workflow_engine": "http:25"}
    _flags(
        "set", "workflow_engine/GetWorkflow", "http+shadow", "--reason", "reads first", store=store
    )
    rolled = json.loads(
        _flags("rollback", "workflow_engine", "--reason", "errors", store=store).stdout
    )
    assert rolled["services"] == {"workflow_engine": "grpc"} and rolled["methods"] == {}
    killed = json.loads(_flags("rollback", "--reason", "incident", store=store).stdout)
    assert killed["kill_switch"] is True
    shown = json.loads(_flags("show", store=store).stdout)
    assert shown["revision"] == 4
    history = _flags("history", store=store).stdout
    assert history.index("ops: incident") < history.index("ops: step 1")
    bad = _flags("set", "workflow_engine", "sometimes", "--reason", "x", store=store)
    assert bad.returncode != 0 and "invalid transport rule" in bad.stderr
    env_change = subprocess.run(
        [sys.executable, "-m", "bridge.cli", "flags", "set", "default", "http", "--reason", "x",
         "--store", "env"], capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert env_change.returncode != 0 and "cannot be changed at runtime" in env_change.stderr
