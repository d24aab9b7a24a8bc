"""Compare two answers to the same call, field by field, ignoring what differs by nature."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

DEFAULT_IGNORED = frozenset({"request_id"})


def differences(
    left: Any, right: Any, *, ignore: Iterable[str] = DEFAULT_IGNORED, path: str = ""
) -> list[str]:
    """Paths where ``left`` and ``right`` differ (``nodes[2].name``); keys named in
    ``ignore`` (last segment or full path) are skipped."""
    ignored = frozenset(ignore)
    out: list[str] = []
    _walk(left, right, ignored, path, out)
    return out


def _walk(left: Any, right: Any, ignored: frozenset[str], path: str, out: list[str]) -> None:
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(set(left) | set(right)):
            here = f"{path}.{key}" if path else str(key)
            if key in ignored or here in ignored:
                continue
            if key not in left or key not in right:
                out.append(here)
            else:
                _walk(left[key], right[key], ignored, here, out)
    elif isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            out.append(f"{path}.length" if path else "length")
        for index, (a, b) in enumerate(zip(left, right, strict=False)):
            _walk(a, b, ignored, f"{path}[{index}]", out)
    elif left != right:
        out.append(path or "<root>")
