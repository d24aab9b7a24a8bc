"""``bridgectl drill --lb``'s load-balancer part on a real moto elbv2 server."""

from __future__ import annotations

from tools.drill.lb import run_lb_drill


def test_green_breaks_and_both_routes_read_back_at_blue() -> None:
    events: list[tuple[str, str]] = []
    report = run_lb_drill(lambda what, kind: events.append((what, kind)), pause=0.0)
    assert report.verdict == "pass", report.problems
    assert report.alb_weights == {"blue": 100, "green": 0}
    assert report.nlb_weights == {"blue": 1, "green": 0}
    assert report.rollback_seconds is not None and 0 < report.rollback_seconds <= 5
    assert report.detect_seconds is not None and report.detect_seconds <= report.rollback_seconds
    # The walk really reached green before the fault (read back at each step).
    assert "engine/http: blue=0 green=100 (read back)" in report.steps
    assert any(s.startswith("engine/nlb: forwarding to green") for s in report.steps)
    assert [kind for _, kind in events] == ["step", "step", "fault", "info", "rollback"]
