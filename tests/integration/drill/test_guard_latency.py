"""The guard's latency rule compares the protocols only over the span both served in."""

from __future__ import annotations

from pathlib import Path

from bridge.errors import Unavailable
from feature_flags import FileStore, Rule
from feature_flags import Transport as P
from gateway.rollback import RollbackGuard, Thresholds


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _guard(tmp_path: Path, rule: str) -> tuple[RollbackGuard, Clock, FileStore]:
    store = FileStore(tmp_path / "flags.json")
    await store.update(
        lambda f: f.model_copy(update={"services": {"workflow_engine": Rule.parse(rule)}}),
        who="test", why="test",
    )  # fmt: skip
    clock = Clock()
    return RollbackGuard(store, Thresholds(min_calls=20), clock=clock), clock, store


def _traffic(guard: RollbackGuard, clock: Clock, seconds: float, **latency: float) -> None:
    """100 calls a second for ``seconds`` on the protocols named, with those latencies."""
    for _ in range(int(seconds * 100)):
        clock.now += 0.01
        for protocol, value in latency.items():
            guard.observe("workflow_engine", P(protocol), None, value)


async def test_http_slower_while_both_serve_rolls_back(tmp_path: Path) -> None:
    guard, clock, store = await _guard(tmp_path, "http:50")
    _traffic(guard, clock, 5, grpc=0.002, http=0.002)
    assert not guard._tasks
    _traffic(guard, clock, 2, grpc=0.002, http=0.050)
    await guard.settle()
    assert guard.history and "p99" in guard.history[0].reason
    assert str(store.current().services["workflow_engine"]) == "grpc"


async def test_slow_moments_after_grpc_stopped_are_not_compared_with_its_past(
    tmp_path: Path,
) -> None:
    guard, clock, store = await _guard(tmp_path, "http")
    _traffic(guard, clock, 5, grpc=0.002, http=0.002)  # the walk: both served
    _traffic(guard, clock, 3, http=0.300)  # 100% HTTP, then the machine stalls
    await guard.settle()
    assert not guard.history, "no baseline to compare with: no latency verdict"
    # Faults still count at 100% HTTP.
    for _ in range(400):
        clock.now += 0.01
        guard.observe("workflow_engine", P.HTTP, Unavailable("down"), 0.001)
    await guard.settle()
    assert guard.history and "error rate" in guard.history[0].reason
    assert str(store.current().services["workflow_engine"]) == "grpc"


async def test_a_few_slow_calls_in_a_small_sample_are_not_a_p99_breach(tmp_path: Path) -> None:
    guard, clock, _ = await _guard(tmp_path, "http:10")
    _traffic(guard, clock, 5, grpc=0.002)
    for index in range(60):  # HTTP back after a restore: two slow connection set-ups
        clock.now += 0.05
        guard.observe("workflow_engine", P.GRPC, None, 0.002)
        guard.observe("workflow_engine", P.HTTP, None, 0.080 if index < 2 else 0.002)
    await guard.settle()
    assert not guard.history
    for _ in range(5):  # five slow ones are a pattern
        clock.now += 0.3
        guard.observe("workflow_engine", P.GRPC, None, 0.002)
        guard.observe("workflow_engine", P.HTTP, None, 0.080)
    await guard.settle()
    assert guard.history and "p99" in guard.history[0].reason


async def test_calls_begun_before_a_rollback_do_not_count_after_it(tmp_path: Path) -> None:
    guard, clock, store = await _guard(tmp_path, "http")
    _traffic(guard, clock, 1, grpc=0.002, http=0.002)
    for _ in range(100):  # the fault
        clock.now += 0.01
        guard.observe("workflow_engine", P.HTTP, Unavailable("down"), 0.001)
    await guard.settle()
    assert len(guard.history) == 1
    await store.update(
        lambda f: f.model_copy(update={"services": {"workflow_engine": Rule.parse("http:10")}}),
        who="test", why="walk forward again",
    )  # fmt: skip
    for _ in range(30):  # calls that drained slowly from the closing listener, 3 s each
        clock.now += 0.01
        guard.observe("workflow_engine", P.HTTP, None, 3.0)
    _traffic(guard, clock, 2, grpc=0.002, http=0.002)
    await guard.settle()
    assert len(guard.history) == 1, guard.history[-1].reason
    assert str(store.current().services["workflow_engine"]) == "http:10"
