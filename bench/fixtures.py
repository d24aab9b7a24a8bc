"""The shared benchmark fixtures (../shared/fixtures), found from any working directory."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def fixtures_dir() -> Path:
    """``$BRIDGE_FIXTURES`` if set, else ``shared/fixtures`` beside the repository."""
    configured = os.environ.get("BRIDGE_FIXTURES")
    candidates = [Path(configured)] if configured else []
    candidates += [REPO.parent / "shared" / "fixtures", REPO / "tests" / "fixtures"]
    for candidate in candidates:
        if (candidate / "workflow_20.json").is_file():
            return candidate
    raise FileNotFoundError(f"workflow fixtures not found in {[str(c) for c in candidates]}")


def load_workflow(nodes: int) -> dict[str, Any]:
    """The realistic ``nodes``-node workflow (20 or 200) in the HTTP/Pydantic shape."""
    data: dict[str, Any] = json.loads((fixtures_dir() / f"workflow_{nodes}.json").read_text())
    return data
