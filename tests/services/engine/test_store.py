"""EngineStore on SQLite and PostgreSQL: CRUD, paging, isolation, versions, runs, triggers,
idempotency, crash recovery."""

from __future__ import annotations

import asyncio

import pytest

from bench.fixtures import load_workflow
from contract import models as m
from services.engine.storage import EngineStore, VersionConflict
from services.engine.storage.db import database_url

FIXTURE = m.Workflow.model_validate(load_workflow(20))


def wf(name: str = "w", tags: list[str] | None = None, active: bool = True) -> m.Workflow:
    return FIXTURE.model_copy(update={"name": name, "tags": tags or [], "active": active})


async def test_fixture_round_trips_exactly(store: EngineStore) -> None:
    for nodes in (20, 200):
        original = m.Workflow.model_validate(load_workflow(nodes))
        saved = await store.create_workflow("u1", original)
        loaded = await store.get_workflow("u1", saved.id or "")
        assert loaded == saved
        assert loaded is not None
        assert loaded.model_dump(exclude={"id", "created_at", "updated_at", "version"}) == (
            original.model_dump(exclude={"id", "created_at", "updated_at", "version"})
        )
        assert saved.id != original.id and saved.version == "1"


async def test_list_paging_filters_and_order(store: EngineStore) -> None:
    made = [await store.create_workflow("u1", wf(f"w{i}", tags=["a"] if i % 2 else ["a", "b"]))
            for i in range(5)]  # fmt: skip
    await store.create_workflow("u1", wf("off", active=False))
    page, total = await store.list_workflows("u1", active_only=True, tags=[], limit=2, offset=0)
    assert total == 5 and [w.name for w in page] == ["w0", "w1"]
    page, total = await store.list_workflows("u1", active_only=True, tags=[], limit=2, offset=4)
    assert [w.name for w in page] == ["w4"]
    _, total = await store.list_workflows("u1", active_only=False, tags=[], limit=50, offset=0)
    assert total == 6
    both, total = await store.list_workflows(
        "u1", active_only=True, tags=["a", "b"], limit=50, offset=0
    )
    assert total == 3 and {w.id for w in both} == {made[0].id, made[2].id, made[4].id}


async def test_users_never_see_each_other(store: EngineStore) -> None:
    mine = await store.create_workflow("alice", wf())
    assert mine.id is not None
    assert await store.get_workflow("bob", mine.id) is None
    assert await store.update_workflow("bob", mine.id, {"name": "x"}, None) is None
    assert await store.delete_workflow("bob", mine.id) is False
    assert (await store.list_workflows("bob", active_only=False, tags=[], limit=5, offset=0))[
        1
    ] == 0
    assert (
        await store.create_trigger(
            "bob", m.Trigger(id="x", workflow_id=mine.id, type=m.TriggerType.MANUAL)
        )
        is None
    )
    execution = await store.create_execution(
        "alice",
        m.Execution(
            id="x", workflow_id=mine.id, status=m.ExecutionStatus.NEW, mode=m.ExecutionMode.MANUAL
        ),
    )
    assert await store.get_execution("bob", execution.id) is None
    assert await store.set_execution_status("bob", execution.id, m.ExecutionStatus.CANCELED) is None
    assert (await store.get_execution("alice", execution.id)).status is m.ExecutionStatus.NEW
    assert await store.get_workflow("alice", mine.id) is not None


async def test_update_bumps_version_and_checks_expectation(store: EngineStore) -> None:
    saved = await store.create_workflow("u1", wf(tags=["a"]))
    assert saved.id is not None
    updated = await store.update_workflow("u1", saved.id, {"name": "renamed", "tags": ["z"]}, "1")
    assert updated is not None
    assert (updated.name, updated.version, updated.tags) == ("renamed", "2", ["z"])
    assert updated.nodes == saved.nodes
    with pytest.raises(VersionConflict) as conflict:
        await store.update_workflow("u1", saved.id, {"name": "late"}, "1")
    assert conflict.value.current_version == "2"
    _, total = await store.list_workflows("u1", active_only=True, tags=["z"], limit=5, offset=0)
    assert total == 1


async def test_concurrent_updates_with_the_same_expectation_one_wins(store: EngineStore) -> None:
    saved = await store.create_workflow("u1", wf())
    assert saved.id is not None
    results = await asyncio.gather(
        *(store.update_workflow("u1", saved.id, {"name": f"n{i}"}, "1") for i in range(4)),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, m.Workflow)]
    assert len(winners) == 1
    assert all(isinstance(r, VersionConflict) for r in results if r not in winners)
    final = await store.get_workflow("u1", saved.id)
    assert final is not None and final.version == "2"


async def test_delete_takes_triggers_with_it(store: EngineStore) -> None:
    saved = await store.create_workflow("u1", wf())
    assert saved.id is not None
    trigger = await store.create_trigger(
        "u1", m.Trigger(id="x", workflow_id=saved.id, type=m.TriggerType.WEBHOOK)
    )
    assert trigger is not None
    assert await store.delete_workflow("u1", saved.id) is True
    assert await store.get_trigger("u1", trigger.id) is None
    assert await store.delete_workflow("u1", saved.id) is False


async def test_execution_life_cycle(store: EngineStore) -> None:
    saved = await store.create_workflow("u1", wf())
    assert saved.id is not None
    ex = await store.create_execution(
        "u1", m.Execution(id="x", workflow_id=saved.id, status=m.ExecutionStatus.NEW,
                          mode=m.ExecutionMode.MANUAL, trigger_data={"a": [1, {"b": None}]})
    )  # fmt: skip
    assert ex.id.startswith("ex_") and ex.status is m.ExecutionStatus.NEW and ex.created_at
    await store.set_execution_status("u1", ex.id, m.ExecutionStatus.RUNNING, started_at=5)
    run = m.NodeRun(node_id="n1", status=m.NodeRunStatus.RUNNING, input={"a": 1}, started_at=6)
    await store.save_node_run("u1", ex.id, run)
    await store.save_node_run(
        "u1",
        ex.id,
        run.model_copy(
            update={"status": m.NodeRunStatus.SUCCESS, "output": {"b": 2}, "attempts": 2}
        ),
    )
    done = await store.set_execution_status("u1", ex.id, m.ExecutionStatus.SUCCESS, finished_at=9)
    assert done is not None
    assert (
        done.status is m.ExecutionStatus.SUCCESS and done.started_at == 5 and done.finished_at == 9
    )
    assert done.run_data["n1"].output == {"b": 2} and done.run_data["n1"].attempts == 2
    assert done.trigger_data == {"a": [1, {"b": None}]}
    # A finished execution stays finished.
    again = await store.set_execution_status("u1", ex.id, m.ExecutionStatus.CANCELED)
    assert again is not None and again.status is m.ExecutionStatus.SUCCESS
    listed, total = await store.list_executions(
        "u1", workflow_id=saved.id, status=m.ExecutionStatus.SUCCESS, limit=5, offset=0
    )
    assert total == 1 and listed[0].id == ex.id
    _, none = await store.list_executions(
        "u1", workflow_id=None, status=m.ExecutionStatus.ERROR, limit=5, offset=0
    )
    assert none == 0


async def test_interrupted_executions_are_failed_not_lost(store: EngineStore) -> None:
    saved = await store.create_workflow("u1", wf())
    assert saved.id is not None
    ids = []
    for status in (m.ExecutionStatus.RUNNING, m.ExecutionStatus.NEW, m.ExecutionStatus.SUCCESS):
        ex = await store.create_execution(
            "u1",
            m.Execution(
                id="x",
                workflow_id=saved.id,
                status=m.ExecutionStatus.NEW,
                mode=m.ExecutionMode.MANUAL,
            ),
        )
        await store.set_execution_status("u1", ex.id, status)
        ids.append(ex.id)
    assert await store.fail_interrupted_executions() == 2
    states = [(await store.get_execution("u1", i)) for i in ids]
    assert [s.status for s in states if s] == [
        m.ExecutionStatus.ERROR,
        m.ExecutionStatus.ERROR,
        m.ExecutionStatus.SUCCESS,
    ]
    assert states[0] is not None and states[0].error is not None
    assert "interrupted" in states[0].error.message


async def test_triggers_and_events(store: EngineStore) -> None:
    saved = await store.create_workflow("u1", wf())
    off = await store.create_workflow("u1", wf(active=False))
    assert saved.id is not None and off.id is not None
    cron = await store.create_trigger(
        "u1",
        m.Trigger(
            id="x", workflow_id=saved.id, type=m.TriggerType.CRON, config={"cron": "* * * * *"}
        ),
    )
    await store.create_trigger(
        "u1",
        m.Trigger(
            id="x", workflow_id=off.id, type=m.TriggerType.CRON, config={"cron": "* * * * *"}
        ),
    )
    assert cron is not None
    active = await store.list_active_triggers(m.TriggerType.CRON)
    assert [(u, t.id, zone) for u, t, zone in active] == [("u1", cron.id, "Europe/Berlin")]
    for i in range(3):
        await store.add_trigger_event(
            "u1",
            m.TriggerEvent(
                id="x", trigger_id=cron.id, workflow_id=saved.id, payload={"i": i}, received_at=i
            ),
        )
    events, total = await store.list_trigger_events("u1", cron.id, limit=2, offset=0)
    assert total == 3 and [e.payload["i"] for e in events] == [2, 1]
    assert (await store.list_trigger_events("u2", cron.id, limit=2, offset=0))[1] == 0
    assert await store.delete_trigger("u2", cron.id) is False
    assert await store.delete_trigger("u1", cron.id) is True


async def test_idempotency_keeps_the_first_response(store: EngineStore) -> None:
    first, second = await asyncio.gather(
        store.remember("u1", "CreateWorkflow", "k", "A"),
        store.remember("u1", "CreateWorkflow", "k", "B"),
    )
    assert first == second and first in {"A", "B"}
    assert await store.remember("u2", "CreateWorkflow", "k", "C") == "C"  # scoped by user
    await store.complete("u1", "CreateWorkflow", "k", "done")
    assert await store.lookup("u1", "CreateWorkflow", "k") == "done"
    await store.forget("u1", "CreateWorkflow", "k")
    assert await store.lookup("u1", "CreateWorkflow", "k") is None
    assert await store.purge_idempotency(older_than_ms=2**62) == 1


async def test_migrations_are_idempotent_and_ping_works(store: EngineStore) -> None:
    await store.open()
    await store.ping()


def test_database_url_rules(tmp_path: object) -> None:
    from pathlib import Path

    assert database_url("postgres://u@h/db", Path("/tmp")) == "postgresql+asyncpg://u@h/db"
    assert database_url("postgresql://u@h/db", Path("/tmp")) == "postgresql+asyncpg://u@h/db"
    assert database_url(None, Path(str(tmp_path))).startswith("sqlite+aiosqlite:///")


async def test_closing_the_run_recorder_mid_commit_loses_nothing(
    store: EngineStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """close() while the write-behind batch is being committed waits for that commit
    (it once cancelled it: the batch's runs were gone from the queue and never saved)."""
    from services.engine.runs import _StoreRecorder

    saved = await store.create_workflow("u1", wf())
    assert saved.id is not None
    ex = await store.create_execution(
        "u1", m.Execution(id="x", workflow_id=saved.id, status=m.ExecutionStatus.NEW,
                          mode=m.ExecutionMode.MANUAL)
    )  # fmt: skip
    real = store.save_node_runs
    committing = asyncio.Event()

    async def slow_commit(user_id: str, execution_id: str, runs: list[m.NodeRun]) -> None:
        committing.set()
        await asyncio.sleep(0.1)  # a slow database: the commit is still in flight below
        await real(user_id, execution_id, runs)

    monkeypatch.setattr(store, "save_node_runs", slow_commit)
    recorder = _StoreRecorder(store, "u1", ex.id, interval=0.001)
    await recorder.node_finished(m.NodeRun(node_id="n1", status=m.NodeRunStatus.SUCCESS))
    await committing.wait()
    await recorder.node_finished(m.NodeRun(node_id="n2", status=m.NodeRunStatus.SUCCESS))
    await recorder.close()
    got = await store.get_execution("u1", ex.id)
    assert got is not None
    assert sorted(got.run_data) == ["n1", "n2"]
