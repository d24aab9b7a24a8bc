"""Compare two answers to the same call, field by field, ignoring what differs by nature."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

DEFAULT_IGNORED = frozenset({"request_id"})
_INDEX = re.compile(r"\[\d+\]")
MISSING = "<missing>"
"""Stands for the value of a key one side does not have."""


@dataclass(frozen=True, slots=True)
class Difference:
    """One differing field: its path and the value on each side."""

    path: str
    left: Any
    right: Any


def differences(
    left: Any, right: Any, *, ignore: Iterable[str] = DEFAULT_IGNORED, path: str = ""
) -> list[str]:
    """Paths where ``left`` and ``right`` differ (``nodes[2].name``); keys named in
    ``ignore`` (last segment or full path) are skipped."""
    return [d.path for d in compare(left, right, ignore=ignore, path=path)]


def compare(
    left: Any, right: Any, *, ignore: Iterable[str] = DEFAULT_IGNORED, path: str = ""
) -> list[Difference]:
    """Like :func:`differences`, with both values of each differing field."""
    ignored = frozenset(ignore)
    out: list[Difference] = []
    _walk(left, right, ignored, path, out)
    return out


def generic_path(path: str) -> str:
    """``workflows[3].created_at`` -> ``workflows[*].created_at``: one rule for every item."""
    return _INDEX.sub("[*]", path)


def _walk(left: Any, right: Any, ignored: frozenset[str], path: str, out: list[Difference]) -> None:
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(set(left) | set(right)):
            here = f"{path}.{key}" if path else str(key)
            if key in ignored or here in ignored:
                continue
            if key not in left or key not in right:
                out.append(Difference(here, left.get(key, MISSING), right.get(key, MISSING)))
            else:
                _walk(left[key], right[key], ignored, here, out)
    elif isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            out.append(Difference(f"{path}.length" if path else "length", len(left), len(right)))
        for index, (a, b) in enumerate(zip(left, right, strict=False)):
            _walk(a, b, ignored, f"{path}[{index}]", out)
    elif left != right:
        out.append(Difference(path or "<root>", left, right))
