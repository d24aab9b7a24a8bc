"""The DAG executor: runs a workflow from its trigger(s) along its connections.

A node runs once every edge into it is resolved (fired or not); independent branches
run concurrently. Its input is the merged output of the parents whose edges fired; a
node none of whose edges fired is SKIPPED, and skipping propagates. Disabled nodes pass
their input through. CONDITION nodes fire their 'true'/'main' edges when the condition
holds and 'false' edges when it does not. Each node retries per its retry policy; after
that, ``on_error: continue`` passes the input on and ``stop`` ends the execution
(cancelling what still runs). The workflow timeout bounds the whole run.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from contract.models import (
    ExecutionError,
    ExecutionStatus,
    Node,
    NodeRun,
    NodeRunStatus,
    OnError,
    Workflow,
    now_ms,
)
from services.engine.nodes import Item, NodeContext, NodeError, NodeResult, runner_for
from services.llm import LLMProvider

MAX_ERROR = 1000


class RunRecorder(Protocol):
    """Told about every node as it starts and finishes (the engine persists these)."""

    async def node_started(self, run: NodeRun) -> None: ...
    async def node_finished(self, run: NodeRun) -> None: ...


@dataclass(frozen=True, slots=True)
class ExecutionResult:
    status: ExecutionStatus
    error: ExecutionError | None = None


class _Failed(Exception):
    """A node failed on its last try."""

    def __init__(self, message: str, attempts: int) -> None:
        super().__init__(message)
        self.message, self.attempts = message[:MAX_ERROR], attempts


class _Stop(Exception):
    """A node with on_error=stop failed: end the execution."""

    def __init__(self, node_id: str, message: str) -> None:
        super().__init__(message)
        self.node_id, self.message = node_id, message


class Executor:
    def __init__(
        self, *, http: httpx.AsyncClient, llm: LLMProvider, time_scale: float = 1.0
    ) -> None:
        self.context = NodeContext(http=http, llm=llm, time_scale=time_scale)

    async def execute(
        self, workflow: Workflow, trigger_data: Mapping[str, Any], recorder: RunRecorder
    ) -> ExecutionResult:
        run = _Run(workflow, dict(trigger_data), recorder, self.context)
        timeout = workflow.settings.timeout * self.context.time_scale
        try:
            async with asyncio.timeout(timeout):
                return await run.run()
        except TimeoutError:
            return ExecutionResult(
                ExecutionStatus.TIMED_OUT,
                ExecutionError(message=f"timed out after {workflow.settings.timeout}s"),
            )


class _Run:
    def __init__(
        self, workflow: Workflow, trigger_data: Item, recorder: RunRecorder, ctx: NodeContext
    ) -> None:
        self.nodes = {node.id: node for node in workflow.nodes}
        self.trigger_data = trigger_data
        self.recorder = recorder
        self.ctx = ctx
        # Edges in declaration order: (source, type, target).
        self.outgoing: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for source, by_type in workflow.connections.items():
            for kind, edges in by_type.items():
                for edge in edges:
                    self.outgoing[source].append((kind, edge.node))
        self.triggers = [n.id for n in workflow.nodes if n.type == "TRIGGER"]
        reachable = self._reachable()
        self.waiting: dict[str, int] = defaultdict(int)
        for source in reachable:
            for _, target in self.outgoing[source]:
                self.waiting[target] += 1
        self.inputs: dict[str, list[Item]] = defaultdict(list)
        self.fired: dict[str, bool] = defaultdict(bool)
        self.group: asyncio.TaskGroup | None = None

    def _reachable(self) -> set[str]:
        seen: set[str] = set()
        stack = list(self.triggers)
        while stack:
            node_id = stack.pop()
            if node_id in seen:
                continue
            seen.add(node_id)
            stack.extend(target for _, target in self.outgoing[node_id])
        return seen

    async def run(self) -> ExecutionResult:
        if not self.triggers:
            return ExecutionResult(
                ExecutionStatus.ERROR, ExecutionError(message="the workflow has no TRIGGER node")
            )
        stop: _Stop | None = None
        try:
            async with asyncio.TaskGroup() as group:
                self.group = group
                for node_id in self.triggers:
                    group.create_task(self._node(self.nodes[node_id], dict(self.trigger_data)))
        except* _Stop as stopped:
            first = stopped.exceptions[0]
            assert isinstance(first, _Stop)
            stop = first
        if stop is not None:
            return ExecutionResult(
                ExecutionStatus.ERROR, ExecutionError(message=stop.message, node_id=stop.node_id)
            )
        return ExecutionResult(ExecutionStatus.SUCCESS)

    async def _node(self, node: Node, item: Item) -> None:
        record = NodeRun(
            node_id=node.id, status=NodeRunStatus.RUNNING, input=item, started_at=now_ms()
        )
        if node.disabled:
            await self._finish(record, NodeRunStatus.SKIPPED, output=item)
            self._resolve(node, NodeResult(output=item))
            return
        await self.recorder.node_started(record)
        try:
            result, attempts = await self._attempts(node, item)
        except asyncio.CancelledError:
            await asyncio.shield(self._finish(record, NodeRunStatus.CANCELED, attempts=0))
            raise
        except _Failed as failed:
            message, attempts = failed.message, failed.attempts
            await self._finish(record, NodeRunStatus.ERROR, error=message, attempts=attempts)
            if node.on_error is OnError.STOP:
                raise _Stop(node.id, f"node {node.id!r} failed: {message}") from None
            self._resolve(node, NodeResult(output=item))  # continue: pass the input on
            return
        await self._finish(record, NodeRunStatus.SUCCESS, output=result.output, attempts=attempts)
        self._resolve(node, result)

    async def _attempts(self, node: Node, item: Item) -> tuple[NodeResult, int]:
        policy = node.retry_policy
        tries = policy.max_tries if policy else 1
        runner = runner_for(node.type)
        for attempt in range(1, tries + 1):
            try:
                return await runner(node, item, self.ctx), attempt
            except NodeError as exc:
                if attempt == tries:
                    raise _Failed(str(exc), attempt) from None
            except (asyncio.CancelledError, _Stop):
                raise
            except Exception as exc:  # a bug in a node is that node's error, not a crash
                if attempt == tries:
                    raise _Failed(f"{type(exc).__name__}: {exc}", attempt) from None
            assert policy is not None
            await asyncio.sleep(policy.wait_between_tries * self.ctx.time_scale)
        raise AssertionError("unreachable")

    async def _finish(
        self,
        record: NodeRun,
        status: NodeRunStatus,
        *,
        output: Item | None = None,
        error: str | None = None,
        attempts: int = 1,
    ) -> None:
        finished = record.model_copy(
            update={
                "status": status,
                "output": output or {},
                "error": error,
                "attempts": attempts if status is not NodeRunStatus.SKIPPED else 0,
                "finished_at": now_ms(),
            }
        )
        await self.recorder.node_finished(finished)

    def _resolve(self, node: Node, result: NodeResult) -> None:
        """Tell each child whether its edge from ``node`` fired; start the ready ones."""
        for kind, target in self.outgoing[node.id]:
            fires = result.branch is None or (result.branch == (kind != "false"))
            self._edge_done(target, result.output if fires else None)

    def _skip(self, node: Node) -> None:
        for _, target in self.outgoing[node.id]:
            self._edge_done(target, None)

    def _edge_done(self, target: str, output: Item | None) -> None:
        if output is not None:
            self.inputs[target].append(output)
            self.fired[target] = True
        self.waiting[target] -= 1
        if self.waiting[target] > 0:
            return
        node = self.nodes[target]
        assert self.group is not None
        if self.fired[target]:
            merged: Item = {}
            for part in self.inputs[target]:
                merged.update(part)
            self.group.create_task(self._node(node, merged))
        else:
            self.group.create_task(self._skipped(node))

    async def _skipped(self, node: Node) -> None:
        now = now_ms()
        await self.recorder.node_finished(
            NodeRun(node_id=node.id, status=NodeRunStatus.SKIPPED, started_at=now, finished_at=now)
        )
        self._skip(node)
