"""Runs executions in the background and keeps their records current.

``start`` stores a NEW execution and returns it at once; a task runs the workflow with
the executor, persisting each node's run as it starts and finishes and the execution's
status as it changes. ``cancel`` stops a running execution (its running nodes end
CANCELED). On shutdown, executions still running are cancelled and recorded as
interrupted; ones a crash left RUNNING are failed by ``fail_interrupted`` at start-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from contract import models as m
from contract.models import now_ms
from services.engine.executor import Executor
from services.engine.storage import EngineStore
from services.engine.storage.repository import INTERRUPTED

log = logging.getLogger("engine.runs")


class _StoreRecorder:
    """The executor's RunRecorder, writing behind: node runs are persisted within
    ``interval`` seconds of happening, several per transaction, the latest state of each
    node winning. A committed write costs ~1 ms (three round trips); a 50-node workflow
    would spend most of its time there if every start and finish committed on its own."""

    def __init__(
        self, store: EngineStore, user_id: str, execution_id: str, interval: float = 0.02
    ) -> None:
        self.store, self.user_id, self.execution_id = store, user_id, execution_id
        self.interval = interval
        self._pending: dict[str, m.NodeRun] = {}
        self._writer: asyncio.Task[None] | None = None
        self._flushing = False
        self._closing = False

    async def node_started(self, run: m.NodeRun) -> None:
        self._put(run)

    async def node_finished(self, run: m.NodeRun) -> None:
        self._put(run)

    def _put(self, run: m.NodeRun) -> None:
        self._pending[run.node_id] = run
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_soon())

    async def _write_soon(self) -> None:
        while self._pending and not self._closing:
            await asyncio.sleep(self.interval)
            self._flushing = True
            try:
                await self._flush()
            finally:
                self._flushing = False

    async def _flush(self) -> None:
        if not self._pending:
            return
        batch = list(self._pending.values())
        self._pending.clear()
        await self.store.save_node_runs(self.user_id, self.execution_id, batch)

    async def close(self) -> None:
        """Write everything still pending (before the final status is recorded). A
        batch the writer is committing right now is waited for, never cancelled: its
        runs are no longer in ``_pending``, so cancelling it would lose them."""
        self._closing = True
        writer = self._writer
        if writer is not None and not writer.done():
            if not self._flushing:
                writer.cancel()  # it is only sleeping
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        await self._flush()


class ExecutionManager:
    def __init__(self, store: EngineStore, executor: Executor) -> None:
        self.store = store
        self.executor = executor
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stopping = False

    @property
    def running(self) -> int:
        return len(self._tasks)

    async def start(
        self,
        user_id: str,
        workflow: m.Workflow,
        *,
        mode: m.ExecutionMode,
        trigger_data: dict[str, Any],
        trigger_id: str | None = None,
    ) -> m.Execution:
        assert workflow.id is not None
        execution = await self.store.create_execution(
            user_id,
            m.Execution(
                id="new",
                workflow_id=workflow.id,
                status=m.ExecutionStatus.NEW,
                mode=mode,
                trigger_data=trigger_data,
                trigger_id=trigger_id,
            ),
        )
        task = asyncio.create_task(self._run(user_id, workflow, execution))
        self._tasks[execution.id] = task
        task.add_done_callback(lambda _: self._tasks.pop(execution.id, None))
        return execution

    async def _run(self, user_id: str, workflow: m.Workflow, execution: m.Execution) -> None:
        await self.store.set_execution_status(
            user_id, execution.id, m.ExecutionStatus.RUNNING, started_at=now_ms()
        )
        recorder = _StoreRecorder(self.store, user_id, execution.id)
        try:
            result = await self.executor.execute(workflow, execution.trigger_data, recorder)
            await recorder.close()
        except asyncio.CancelledError:
            await asyncio.shield(recorder.close())
            status, error = (
                (m.ExecutionStatus.ERROR, m.ExecutionError(message=INTERRUPTED))
                if self._stopping
                else (m.ExecutionStatus.CANCELED, None)
            )
            await asyncio.shield(
                self.store.set_execution_status(
                    user_id, execution.id, status, error=error, finished_at=now_ms()
                )
            )
            raise
        except Exception as exc:  # an executor bug must still end the record
            log.exception("execution crashed", extra={"execution_id": execution.id})
            await recorder.close()
            await self.store.set_execution_status(
                user_id,
                execution.id,
                m.ExecutionStatus.ERROR,
                error=m.ExecutionError(message=f"internal error: {type(exc).__name__}"),
                finished_at=now_ms(),
            )
            return
        await self.store.set_execution_status(
            user_id, execution.id, result.status, error=result.error, finished_at=now_ms()
        )

    async def cancel(self, user_id: str, execution_id: str, *, wait: float = 5.0) -> None:
        task = self._tasks.get(execution_id)
        if task is None:
            # Not running here (not started yet, or on another replica): record the intent.
            await self.store.set_execution_status(
                user_id, execution_id, m.ExecutionStatus.CANCELED, finished_at=now_ms()
            )
            return
        task.cancel()
        await asyncio.wait({task}, timeout=wait)

    async def shutdown(self, wait: float = 5.0) -> None:
        self._stopping = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=wait)
