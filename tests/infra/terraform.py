"""infra/terraform parsed with python-hcl2 into plain values (quotes and markers removed)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import hcl2

TERRAFORM = Path(__file__).resolve().parents[2] / "infra" / "terraform"


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items() if not str(k).startswith("__")}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


@cache
def modules() -> dict[str, dict[str, Any]]:
    """File name -> its parsed top-level blocks."""
    return {
        path.name: _plain(hcl2.loads(path.read_text(encoding="utf-8")))
        for path in sorted(TERRAFORM.glob("*.tf"))
    }


def blocks(kind: str) -> dict[tuple[str, str], dict[str, Any]]:
    """``resource`` / ``data`` -> {(type, name): body}; ``variable`` / ``output`` -> {(name, ''): body}."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for parsed in modules().values():
        for entry in parsed.get(kind, []):
            for first, body in entry.items():
                if kind in ("resource", "data"):
                    for name, inner in body.items():
                        found[(first, name)] = inner
                else:
                    found[(first, "")] = body
    return found


def resources(resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: body for (t, name), body in blocks("resource").items() if t == resource_type}


def locals_() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for parsed in modules().values():
        for entry in parsed.get("locals", []):
            merged.update(entry)
    return merged


def text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(TERRAFORM.glob("*.tf")))
