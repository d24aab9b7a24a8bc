"""EngineStore: every read and write of the engine, one transaction each, scoped by user.

Another user's record behaves exactly like a missing one (None / False / not listed), so
ids never leak. Workflows use optimistic versioning: an update applies only on top of the
version it read, so concurrent updates cannot both win.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from contract import models as m
from contract.models import now_ms
from services.engine.storage import db
from services.engine.storage.tables import (
    ExecutionRow,
    IdempotencyRow,
    NodeRunRow,
    TriggerEventRow,
    TriggerRow,
    WorkflowRow,
    WorkflowTagRow,
)

FINAL = {"SUCCESS", "ERROR", "CANCELED", "TIMED_OUT"}
INTERRUPTED = "interrupted: the engine stopped while this execution was running"


class VersionConflict(Exception):
    """The stored workflow is not at the version the caller expected."""

    def __init__(self, current_version: str) -> None:
        super().__init__(f"current version is {current_version}")
        self.current_version = current_version


def _id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def _timezone(document: str) -> str:
    settings = json.loads(document).get("settings") or {}
    return str((settings.get("timezone") or {}).get("name") or "UTC")


def _version(raw: str | None) -> int:
    try:
        return max(1, int(float(raw or "1")))
    except ValueError:
        return 1


async def _page(
    connection: Any, query: Any, order_by: tuple[Any, ...], limit: int, offset: int
) -> tuple[list[Any], int]:
    """One page of ``query`` in a stable order, and the total count before paging."""
    total = await connection.scalar(select(func.count()).select_from(query.subquery()))
    rows = await connection.scalars(query.order_by(*order_by).limit(limit).offset(offset))
    return list(rows), int(total or 0)


class EngineStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.session = async_sessionmaker(engine, expire_on_commit=False)

    async def open(self) -> None:
        await db.migrate(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    # -- workflows -------------------------------------------------------------------

    async def create_workflow(self, user_id: str, workflow: m.Workflow) -> m.Workflow:
        now = now_ms()
        stored = workflow.model_copy(
            update={"id": _id("wf"), "version": "1", "created_at": now, "updated_at": now}
        )
        assert stored.id is not None
        row = WorkflowRow(
            id=stored.id,
            user_id=user_id,
            name=stored.name,
            active=stored.active,
            version=1,
            document=stored.model_dump_json(),
            created_at=now,
            updated_at=now,
        )
        async with self.session.begin() as session:
            session.add(row)
            await session.flush()
            session.add_all(WorkflowTagRow(workflow_id=row.id, tag=t) for t in set(stored.tags))
        return stored

    async def get_workflow(self, user_id: str, workflow_id: str) -> m.Workflow | None:
        # Core, not ORM: a read is one statement and one validation straight from JSON text.
        async with self.engine.connect() as connection:
            document = await connection.scalar(
                select(WorkflowRow.document).where(
                    WorkflowRow.id == workflow_id, WorkflowRow.user_id == user_id
                )
            )
        return None if document is None else m.Workflow.model_validate_json(document)

    async def update_workflow(
        self,
        user_id: str,
        workflow_id: str,
        changes: dict[str, Any],
        expected_version: str | None,
    ) -> m.Workflow | None:
        """Apply ``changes`` (Workflow field -> value); None if there is no such workflow."""
        while True:
            current = await self.get_workflow(user_id, workflow_id)
            if current is None:
                return None
            if expected_version is not None and _version(expected_version) != _version(
                current.version
            ):
                raise VersionConflict(current.version)
            read_version = _version(current.version)
            merged = m.Workflow.model_validate(
                {
                    **current.model_dump(),
                    **changes,
                    "version": str(read_version + 1),
                    "updated_at": now_ms(),
                }
            )
            async with self.session.begin() as session:
                result = await session.execute(
                    update(WorkflowRow)
                    .where(
                        WorkflowRow.id == workflow_id,
                        WorkflowRow.user_id == user_id,
                        WorkflowRow.version == read_version,
                    )
                    .values(
                        name=merged.name,
                        active=merged.active,
                        version=read_version + 1,
                        document=merged.model_dump_json(),
                        updated_at=merged.updated_at,
                    )
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    if "tags" in changes:
                        await session.execute(
                            delete(WorkflowTagRow).where(WorkflowTagRow.workflow_id == workflow_id)
                        )
                        session.add_all(
                            WorkflowTagRow(workflow_id=workflow_id, tag=t) for t in set(merged.tags)
                        )
                    break
            # Someone else updated in between: re-read, and re-check the expectation.
        return await self.get_workflow(user_id, workflow_id)

    async def delete_workflow(self, user_id: str, workflow_id: str) -> bool:
        async with self.session.begin() as session:
            owned = select(WorkflowRow.id).where(
                WorkflowRow.id == workflow_id, WorkflowRow.user_id == user_id
            )
            if await session.scalar(owned) is None:
                return False
            # Explicit deletes as well as ON DELETE CASCADE: SQLite needs the pragma for it.
            trigger_ids = select(TriggerRow.id).where(TriggerRow.workflow_id == workflow_id)
            await session.execute(
                delete(TriggerEventRow).where(TriggerEventRow.trigger_id.in_(trigger_ids))
            )
            await session.execute(delete(TriggerRow).where(TriggerRow.workflow_id == workflow_id))
            await session.execute(
                delete(WorkflowTagRow).where(WorkflowTagRow.workflow_id == workflow_id)
            )
            await session.execute(delete(WorkflowRow).where(WorkflowRow.id == workflow_id))
        return True

    async def list_workflows(
        self, user_id: str, *, active_only: bool, tags: list[str], limit: int, offset: int
    ) -> tuple[list[m.Workflow], int]:
        query = select(WorkflowRow.document).where(WorkflowRow.user_id == user_id)
        if active_only:
            query = query.where(WorkflowRow.active.is_(True))
        for tag in set(tags):  # ALL the given tags
            query = query.where(
                select(WorkflowTagRow.tag)
                .where(WorkflowTagRow.workflow_id == WorkflowRow.id, WorkflowTagRow.tag == tag)
                .exists()
            )
        async with self.engine.connect() as connection:
            documents, total = await _page(
                connection, query, (WorkflowRow.created_at, WorkflowRow.id), limit, offset
            )
        return [m.Workflow.model_validate_json(d) for d in documents], total

    # -- executions ------------------------------------------------------------------

    async def _execution(self, session: Any, row: ExecutionRow) -> m.Execution:
        runs = await session.scalars(select(NodeRunRow).where(NodeRunRow.execution_id == row.id))
        return m.Execution.model_validate(
            {
                "id": row.id,
                "workflow_id": row.workflow_id,
                "status": row.status,
                "mode": row.mode,
                "trigger_data": row.trigger_data,
                "trigger_id": row.trigger_id,
                "error": row.error,
                "created_at": row.created_at,
                "started_at": row.started_at,
                "finished_at": row.finished_at,
                "run_data": {r.node_id: r.run for r in runs},
            }
        )

    async def create_execution(self, user_id: str, execution: m.Execution) -> m.Execution:
        row = ExecutionRow(
            id=_id("ex"),
            user_id=user_id,
            workflow_id=execution.workflow_id,
            status="NEW",
            mode=execution.mode.value,
            trigger_data=execution.trigger_data,
            trigger_id=execution.trigger_id,
            error=None,
            created_at=now_ms(),
        )
        async with self.session.begin() as session:
            session.add(row)
        async with self.session() as session:
            return await self._execution(session, row)

    async def get_execution(self, user_id: str, execution_id: str) -> m.Execution | None:
        async with self.session() as session:
            row = await session.scalar(
                select(ExecutionRow).where(
                    ExecutionRow.id == execution_id, ExecutionRow.user_id == user_id
                )
            )
            return None if row is None else await self._execution(session, row)

    async def list_executions(
        self,
        user_id: str,
        *,
        workflow_id: str | None,
        status: m.ExecutionStatus | None,
        limit: int,
        offset: int,
    ) -> tuple[list[m.Execution], int]:
        query = select(ExecutionRow).where(ExecutionRow.user_id == user_id)
        if workflow_id is not None:
            query = query.where(ExecutionRow.workflow_id == workflow_id)
        if status is not None:
            query = query.where(ExecutionRow.status == status.value)
        async with self.session() as session:
            order = (ExecutionRow.created_at.desc(), ExecutionRow.id.desc())
            rows, total = await _page(session, query, order, limit, offset)
            return [await self._execution(session, r) for r in rows], total

    async def set_execution_status(
        self,
        user_id: str,
        execution_id: str,
        status: m.ExecutionStatus,
        *,
        error: m.ExecutionError | None = None,
        started_at: int | None = None,
        finished_at: int | None = None,
    ) -> m.Execution | None:
        """Move an execution to ``status``; a finished execution stays as it is."""
        values: dict[str, Any] = {"status": status.value}
        if error is not None:
            values["error"] = error.model_dump(mode="json")
        if started_at is not None:
            values["started_at"] = started_at
        if finished_at is not None:
            values["finished_at"] = finished_at
        async with self.session.begin() as session:
            await session.execute(
                update(ExecutionRow)
                .where(
                    ExecutionRow.id == execution_id,
                    ExecutionRow.user_id == user_id,
                    ExecutionRow.status.not_in(FINAL),
                )
                .values(**values)
            )
        return await self.get_execution(user_id, execution_id)

    async def save_node_run(self, user_id: str, execution_id: str, run: m.NodeRun) -> None:
        await self.save_node_runs(user_id, execution_id, [run])

    async def save_node_runs(self, user_id: str, execution_id: str, runs: list[m.NodeRun]) -> None:
        """Upsert several node runs of one execution in one transaction."""
        if not runs:
            return
        rows = [
            {"execution_id": execution_id, "node_id": r.node_id, "run": r.model_dump(mode="json")}
            for r in runs
        ]
        async with self.session.begin() as session:
            owned = await session.scalar(
                select(ExecutionRow.id).where(
                    ExecutionRow.id == execution_id, ExecutionRow.user_id == user_id
                )
            )
            if owned is None:
                return
            stmt = self._insert(NodeRunRow)
            await session.execute(
                stmt.on_conflict_do_update(
                    index_elements=["execution_id", "node_id"], set_={"run": stmt.excluded.run}
                ),
                rows,
            )

    async def fail_interrupted_executions(self) -> int:
        async with self.session.begin() as session:
            result = await session.execute(
                update(ExecutionRow)
                .where(ExecutionRow.status.in_(["NEW", "RUNNING"]))
                .values(
                    status="ERROR",
                    error={"message": INTERRUPTED, "node_id": None},
                    finished_at=now_ms(),
                )
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    # -- triggers --------------------------------------------------------------------

    @staticmethod
    def _trigger(row: TriggerRow) -> m.Trigger:
        return m.Trigger(
            id=row.id,
            workflow_id=row.workflow_id,
            type=m.TriggerType(row.type),
            config=row.config,
            active=row.active,
            created_at=row.created_at,
        )

    async def create_trigger(self, user_id: str, trigger: m.Trigger) -> m.Trigger | None:
        async with self.session.begin() as session:
            owned = await session.scalar(
                select(WorkflowRow.id).where(
                    WorkflowRow.id == trigger.workflow_id, WorkflowRow.user_id == user_id
                )
            )
            if owned is None:
                return None
            row = TriggerRow(
                id=_id("tr"),
                user_id=user_id,
                workflow_id=trigger.workflow_id,
                type=trigger.type.value,
                config=trigger.config,
                active=trigger.active,
                created_at=now_ms(),
            )
            session.add(row)
        return self._trigger(row)

    async def get_trigger(self, user_id: str, trigger_id: str) -> m.Trigger | None:
        async with self.session() as session:
            row = await session.scalar(
                select(TriggerRow).where(TriggerRow.id == trigger_id, TriggerRow.user_id == user_id)
            )
            return None if row is None else self._trigger(row)

    async def find_trigger(self, trigger_id: str) -> tuple[str, m.Trigger] | None:
        """A trigger by id alone, with its owner (for webhook calls from outside)."""
        async with self.session() as session:
            row = await session.scalar(select(TriggerRow).where(TriggerRow.id == trigger_id))
            return None if row is None else (row.user_id, self._trigger(row))

    async def list_triggers(
        self, user_id: str, *, workflow_id: str | None, limit: int, offset: int
    ) -> tuple[list[m.Trigger], int]:
        query = select(TriggerRow).where(TriggerRow.user_id == user_id)
        if workflow_id is not None:
            query = query.where(TriggerRow.workflow_id == workflow_id)
        async with self.session() as session:
            rows, total = await _page(
                session, query, (TriggerRow.created_at, TriggerRow.id), limit, offset
            )
            return [self._trigger(r) for r in rows], total

    async def delete_trigger(self, user_id: str, trigger_id: str) -> bool:
        async with self.session.begin() as session:
            owned = await session.scalar(
                select(TriggerRow.id).where(
                    TriggerRow.id == trigger_id, TriggerRow.user_id == user_id
                )
            )
            if owned is None:
                return False
            await session.execute(
                delete(TriggerEventRow).where(TriggerEventRow.trigger_id == trigger_id)
            )
            await session.execute(delete(TriggerRow).where(TriggerRow.id == trigger_id))
        return True

    async def list_active_triggers(self, type: m.TriggerType) -> list[tuple[str, m.Trigger, str]]:
        """Active triggers of active workflows, all users: (user id, trigger, time zone)."""
        async with self.session() as session:
            rows = await session.execute(
                select(TriggerRow, WorkflowRow.document)
                .join(WorkflowRow, WorkflowRow.id == TriggerRow.workflow_id)
                .where(
                    TriggerRow.type == type.value,
                    TriggerRow.active.is_(True),
                    WorkflowRow.active.is_(True),
                )
            )
            return [
                (row.user_id, self._trigger(row), _timezone(document)) for row, document in rows
            ]

    async def add_trigger_event(self, user_id: str, event: m.TriggerEvent) -> m.TriggerEvent:
        row = TriggerEventRow(
            id=_id("te"),
            user_id=user_id,
            trigger_id=event.trigger_id,
            workflow_id=event.workflow_id,
            payload=event.payload,
            execution_id=event.execution_id,
            received_at=event.received_at,
        )
        async with self.session.begin() as session:
            session.add(row)
        return event.model_copy(update={"id": row.id})

    async def list_trigger_events(
        self, user_id: str, trigger_id: str, *, limit: int, offset: int
    ) -> tuple[list[m.TriggerEvent], int]:
        query = select(TriggerEventRow).where(
            TriggerEventRow.user_id == user_id, TriggerEventRow.trigger_id == trigger_id
        )
        async with self.session() as session:
            order = (TriggerEventRow.received_at.desc(), TriggerEventRow.id.desc())
            rows, total = await _page(session, query, order, limit, offset)
            events = [
                m.TriggerEvent(
                    id=r.id,
                    trigger_id=r.trigger_id,
                    workflow_id=r.workflow_id,
                    payload=r.payload,
                    execution_id=r.execution_id,
                    received_at=r.received_at,
                )
                for r in rows
            ]
            return events, total

    # -- idempotency -----------------------------------------------------------------

    def _insert(self, table: Any) -> Any:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    async def remember(self, user_id: str, method: str, key: str, response_json: str) -> str:
        """Store ``response_json`` under the key unless one is there; return what is stored."""
        async with self.session.begin() as session:
            await session.execute(
                self._insert(IdempotencyRow)
                .values(
                    user_id=user_id,
                    method=method,
                    key=key,
                    response=response_json,
                    created_at=now_ms(),
                )
                .on_conflict_do_nothing(index_elements=["user_id", "method", "key"])
            )
        stored = await self.lookup(user_id, method, key)
        return stored if stored is not None else response_json

    async def complete(self, user_id: str, method: str, key: str, response_json: str) -> None:
        async with self.session.begin() as session:
            await session.execute(
                update(IdempotencyRow)
                .where(
                    IdempotencyRow.user_id == user_id,
                    IdempotencyRow.method == method,
                    IdempotencyRow.key == key,
                )
                .values(response=response_json)
            )

    async def forget(self, user_id: str, method: str, key: str) -> None:
        async with self.session.begin() as session:
            await session.execute(
                delete(IdempotencyRow).where(
                    IdempotencyRow.user_id == user_id,
                    IdempotencyRow.method == method,
                    IdempotencyRow.key == key,
                )
            )

    async def lookup(self, user_id: str, method: str, key: str) -> str | None:
        async with self.session() as session:
            return await session.scalar(
                select(IdempotencyRow.response).where(
                    IdempotencyRow.user_id == user_id,
                    IdempotencyRow.method == method,
                    IdempotencyRow.key == key,
                )
            )

    async def purge_idempotency(self, older_than_ms: int) -> int:
        async with self.session.begin() as session:
            result = await session.execute(
                delete(IdempotencyRow).where(IdempotencyRow.created_at < older_than_ms)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]


def create_store(
    url: str | None,
    *,
    data_dir: Path = Path(".data"),
    busy_timeout_ms: int = 5000,
    **connect_args: Any,
) -> EngineStore:
    """The store for ``DATABASE_URL`` (SQLite under ``data_dir`` when unset)."""
    engine = db.create_engine(
        db.database_url(url, data_dir), busy_timeout_ms=busy_timeout_ms, **connect_args
    )
    return EngineStore(engine)
