"""Weight limits and the percentage mapping of `bridgectl lb shift` (no AWS needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from infra.lb.config import CutoverConfig
from infra.lb.weights import (
    WeightError,
    check_stickiness,
    check_weights,
    decode,
    encode,
    plan_steps,
    weights_for_percent,
)

ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:"


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"blue": 1000}, r"0\.\.999"),
        ({"blue": -1, "green": 5}, r"0\.\.999"),
        ({"blue": 0, "green": 0}, "non-zero"),
        ({f"g{i}": 1 for i in range(6)}, r"1\.\.5 target groups"),
        ({}, r"1\.\.5 target groups"),
        ({"blue": True}, "integer"),
    ],
)
def test_aws_limits_are_enforced_here(weights: dict[str, int], message: str) -> None:
    with pytest.raises(WeightError, match=message):
        check_weights(weights)


def test_limits_at_the_edges_pass() -> None:
    check_weights({"blue": 999, "green": 0})
    check_weights({f"g{i}": 1 for i in range(5)})
    check_stickiness(True, 604_800)
    check_stickiness(False, None)
    with pytest.raises(WeightError):
        check_stickiness(True, 604_801)
    with pytest.raises(WeightError):
        check_stickiness(True, 0)


def test_a_percentage_maps_to_exactly_n_and_100_minus_n() -> None:
    assert weights_for_percent(["blue", "green"], "green", 25) == {"green": 25, "blue": 75}
    assert weights_for_percent(["blue", "green"], "blue", 100) == {"blue": 100, "green": 0}
    with pytest.raises(WeightError, match=r"0\.\.100"):
        weights_for_percent(["blue", "green"], "green", 101)
    with pytest.raises(WeightError, match="exactly two"):
        weights_for_percent(["blue", "green", "red"], "green", 10)


@pytest.mark.parametrize(
    ("current", "target", "step", "expected"),
    [
        (0, 30, 10, [10, 20, 30]),
        (0, 25, 10, [10, 20, 25]),
        (50, 0, 20, [30, 10, 0]),
        (27, 27, 10, []),
        (0, 100, 100, [100]),
        (33.3, 50, 10, [43, 50]),
    ],
)
def test_steps_end_exactly_at_the_target(
    current: float, target: int, step: int, expected: list[int]
) -> None:
    assert plan_steps(current, target, step) == expected


def test_recorded_weights_round_trip_as_tag_values() -> None:
    weights = {"green": 27, "blue": 73}
    assert encode(weights) == "blue=73 green=27"  # AWS tag values take no comma
    assert decode(encode(weights)) == weights
    for bad in ("blue=73,green=27", "blue", "blue=x", "blue=5000"):
        with pytest.raises(WeightError):
            decode(bad)


def test_config_accepts_terraform_output_and_refuses_nonsense(tmp_path: Path) -> None:
    value = {
        "region": "eu-west-1",
        "services": {
            "engine": {
                "http": {
                    "listener_arn": ARN + "listener/app/a/1/2",
                    "rule_arn": ARN + "listener-rule/app/a/1/2/3",
                    "target_groups": {
                        "blue": ARN + "targetgroup/b/1",
                        "green": ARN + "targetgroup/g/2",
                    },
                }
            }
        },
    }
    bare, wrapped = tmp_path / "bare.json", tmp_path / "wrapped.json"
    bare.write_text(json.dumps(value))
    wrapped.write_text(json.dumps({"lb_cutover": {"value": value}, "other": {"value": 1}}))
    assert CutoverConfig.load(bare) == CutoverConfig.load(wrapped)
    three = json.loads(json.dumps(value))
    three["services"]["engine"]["http"]["target_groups"]["red"] = ARN + "targetgroup/r/3"
    with pytest.raises(ValidationError, match="at most 2"):
        CutoverConfig.model_validate(three)
    not_arn = json.loads(json.dumps(value))
    not_arn["services"]["engine"]["http"]["rule_arn"] = "rule-1"
    with pytest.raises(ValidationError, match="rule_arn"):
        CutoverConfig.model_validate(not_arn)
