"""Flags in a JSON or YAML file, re-read when it changes (polled: no watcher daemon needed).

Changes made through the store are written atomically (temp file + rename), with an audit
line appended to ``<file>.audit.jsonl``. A file that stops parsing is reported and the last
good flag set stays in force.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from feature_flags.model import FlagSet
from feature_flags.stores.base import AuditEntry, Change, FlagStore, audit, next_revision

log = logging.getLogger("feature_flags.file")


class FileStore(FlagStore):
    def __init__(self, path: str | Path, *, poll_seconds: float = 0.25) -> None:
        self.path = Path(path)
        self.audit_path = self.path.with_name(self.path.name + ".audit.jsonl")
        self.poll_seconds = poll_seconds
        self._stamp: tuple[int, int] | None = None
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        super().__init__(self._read() if self.path.exists() else FlagSet())

    def _read(self) -> FlagSet:
        text = self.path.read_text()
        data: Any = (
            yaml.safe_load(text) if self.path.suffix in {".yaml", ".yml"} else json.loads(text)
        )
        stat = self.path.stat()
        self._stamp = (stat.st_mtime_ns, stat.st_size)
        return FlagSet.model_validate(data or {})

    def reload(self) -> None:
        """Re-read the file if it changed; keep the last good flags if it does not parse."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return
        if (stat.st_mtime_ns, stat.st_size) == self._stamp:
            return
        try:
            self._set(self._read())
        except (ValueError, ValidationError, yaml.YAMLError) as exc:
            self._stamp = (stat.st_mtime_ns, stat.st_size)
            log.error(
                "flag file does not parse; keeping the last good flags", extra={"error": str(exc)}
            )

    async def start(self) -> None:
        self._task = asyncio.create_task(self._poll())

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            self.reload()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def update(self, change: Change, *, who: str, why: str) -> FlagSet:
        async with self._lock:
            self.reload()
            old = self.current()
            new = next_revision(old, change)
            self._write(new)
            with self.audit_path.open("a") as log_file:
                log_file.write(audit(old, new, who, why).model_dump_json() + "\n")
            self._set(new)
            return new

    def _write(self, flags: FlagSet) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = flags.describe()
        text = (
            yaml.safe_dump(data)
            if self.path.suffix in {".yaml", ".yml"}
            else json.dumps(data, indent=2)
        )
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".flags-")
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(temp, self.path)
        stat = self.path.stat()
        self._stamp = (stat.st_mtime_ns, stat.st_size)

    async def history(self, limit: int = 50) -> list[AuditEntry]:
        if not self.audit_path.exists():
            return []
        lines = self.audit_path.read_text().splitlines()[-limit:]
        return [AuditEntry.model_validate_json(line) for line in reversed(lines)]
