"""`bridgectl lb` against moto in server mode (real elbv2 API over HTTP on loopback)."""

from __future__ import annotations

import boto3
import pytest
from typer.testing import CliRunner, Result

from bridge.cli import app
from infra.lb.balancer import LAST_GOOD_TAG, Cutover, HealthStop
from infra.lb.config import CutoverConfig, Route
from tests.infra.conftest import REGION, World

runner = CliRunner()


def lb(*args: str) -> Result:
    return runner.invoke(app, ["lb", *args])


def last_good(world: World, arn: str) -> str | None:
    tags = world.elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]
    return {t["Key"]: t["Value"] for t in tags}.get(LAST_GOOD_TAG)


def test_status_reads_weights_and_health(world: World) -> None:
    result = lb("status", "--json")
    assert result.exit_code == 0, result.output
    assert '"weights": {\n      "blue": 100,\n      "green": 0\n    }' in result.stdout
    assert '"healthy": 1' in result.stdout
    assert '"route": "nlb"' in result.stdout


def test_status_table_for_people(world: World) -> None:
    result = lb("status")
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if "engine" in line]
    assert len(rows) == 2
    assert "blue=100 green=0" in rows[0] and "blue 1/1, green 1/1" in rows[0]
    assert "blue=1 green=0" in rows[1]  # the NLB forwards to blue only


def test_shift_in_steps_records_last_good_and_reads_back(world: World) -> None:
    result = lb(
        "shift", "--service", "engine", "--http-weight", "30", "--step", "10", "--pause", "0"
    )
    assert result.exit_code == 0, result.output
    # Each step was written and read back: 10, 20, then 30 % to green.
    assert [line for line in result.stderr.splitlines() if "read back" in line] == [
        "engine/http: blue=90 green=10 (read back)",
        "engine/http: blue=80 green=20 (read back)",
        "engine/http: blue=70 green=30 (read back)",
    ]
    assert world.rule_weights() == {"blue": 70, "green": 30}
    assert last_good(world, world.rule_arn) == "blue=100 green=0"


def test_rollback_restores_the_exact_previous_weights(world: World) -> None:
    assert (
        lb(
            "shift", "--service", "engine", "--http-weight", "27", "--step", "27", "--pause", "0"
        ).exit_code
        == 0
    )
    assert world.rule_weights() == {"blue": 73, "green": 27}
    assert (
        lb(
            "shift", "--service", "engine", "--http-weight", "64", "--step", "50", "--pause", "0"
        ).exit_code
        == 0
    )
    assert world.rule_weights() == {"blue": 36, "green": 64}
    result = lb("rollback", "--service", "engine", "--route", "http")
    assert result.exit_code == 0, result.output
    assert world.rule_weights() == {"blue": 73, "green": 27}
    # Idempotent: the record is kept, a second rollback lands on the same weights.
    assert lb("rollback", "--service", "engine").exit_code == 0
    assert world.rule_weights() == {"blue": 73, "green": 27}


def test_an_unhealthy_target_group_stops_the_shift_before_any_change(world: World) -> None:
    world.stop("green")  # moto reports a stopped instance as "unused" (Target.InvalidState)
    result = lb("shift", "--service", "engine", "--http-weight", "50", "--pause", "0")
    assert result.exit_code == 1
    assert "green: 0/1 healthy (1 unused)" in result.stderr
    assert world.rule_weights() == {"blue": 100, "green": 0}


def test_health_degrading_during_a_pause_stops_the_shift_there(world: World) -> None:
    """The pause between steps is where a real degradation shows up: green's instance
    stops during the first pause, so the second step is never written."""
    config = CutoverConfig.load(world.config_path)
    client = boto3.client("elbv2", region_name=REGION, endpoint_url=world.endpoint)
    lines: list[str] = []
    cutover = Cutover(client, config, echo=lines.append, sleep=lambda seconds: world.stop("green"))
    with pytest.raises(HealthStop, match=r"stopped at blue=80 green=20 before blue=60 green=40"):
        cutover.shift("engine", Route.HTTP, to="green", percent=100, step=20, pause=5)
    assert world.rule_weights() == {"blue": 80, "green": 20}
    # And the way back is the recorded one.
    assert cutover.rollback("engine", Route.HTTP) == {"blue": 100, "green": 0}
    assert world.rule_weights() == {"blue": 100, "green": 0}


def test_a_lower_health_bar_lets_a_partly_healthy_group_through(world: World) -> None:
    client = world.elbv2
    reservation = world.ec2.run_instances(
        ImageId=world.ec2.describe_images()["Images"][0]["ImageId"], MinCount=1, MaxCount=1
    )
    extra = reservation["Instances"][0]["InstanceId"]
    client.register_targets(
        TargetGroupArn=world.http_groups["green"], Targets=[{"Id": extra, "Port": 8000}]
    )
    world.ec2.stop_instances(InstanceIds=[extra])  # green: 1 of 2 healthy
    refused = lb("shift", "--service", "engine", "--http-weight", "10", "--pause", "0")
    assert refused.exit_code == 1
    assert "green: 1/2 healthy" in refused.stderr
    allowed = lb(
        "shift",
        "--service",
        "engine",
        "--http-weight",
        "10",
        "--pause",
        "0",
        "--min-healthy-percent",
        "50",
    )
    assert allowed.exit_code == 0, allowed.output
    assert world.rule_weights() == {"blue": 90, "green": 10}


@pytest.mark.parametrize("weight", ["101", "-1"])
def test_shift_refuses_weights_outside_0_100(world: World, weight: str) -> None:
    result = lb("shift", "--service", "engine", "--http-weight", weight, "--pause", "0")
    assert result.exit_code == 2
    assert f"--http-weight is a percentage 0..100, got {weight}" in result.stderr
    assert "no change was made" in result.stderr
    assert world.rule_weights() == {"blue": 100, "green": 0}
    assert last_good(world, world.rule_arn) is None


def test_shift_refuses_an_unknown_service(world: World) -> None:
    result = lb("shift", "--service", "billing", "--http-weight", "10", "--pause", "0")
    assert result.exit_code == 2
    assert "unknown service 'billing' (managed: engine)" in result.stderr
    assert "no change was made" in result.stderr


def test_shift_refuses_a_listener_it_does_not_manage(world: World) -> None:
    other = world.nlb_listener_arn
    result = lb(
        "shift", "--service", "engine", "--http-weight", "10", "--pause", "0", "--listener", other
    )
    assert result.exit_code == 2
    assert f"listener {other} is not managed for engine/http" in result.stderr
    assert world.rule_weights() == {"blue": 100, "green": 0}


def test_a_rule_without_the_managed_tag_is_refused(world: World) -> None:
    world.elbv2.remove_tags(ResourceArns=[world.rule_arn], TagKeys=["flowbridge:cutover"])
    result = lb("shift", "--service", "engine", "--http-weight", "10", "--pause", "0")
    assert result.exit_code == 2
    assert "not managed by bridgectl lb" in result.stderr
    assert world.rule_weights() == {"blue": 100, "green": 0}


def test_out_of_range_weights_are_refused_even_though_moto_would_take_them(world: World) -> None:
    """moto stores a weight of 5000 without complaint (AWS allows 0..999): the limits are
    ours to check, so a tampered record is refused rather than written."""
    world.elbv2.modify_rule(
        RuleArn=world.rule_arn,
        Actions=[
            {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [{"TargetGroupArn": world.http_groups["blue"], "Weight": 5000}]
                },
            }
        ],
    )
    assert world.rule_weights()["blue"] == 5000
    world.elbv2.add_tags(
        ResourceArns=[world.rule_arn], Tags=[{"Key": LAST_GOOD_TAG, "Value": "blue=5000 green=0"}]
    )
    result = lb("rollback", "--service", "engine")
    assert result.exit_code == 2
    assert "ALB weights are 0..999" in result.stderr


def test_switch_swaps_the_nlb_target_group_and_rolls_back(world: World) -> None:
    result = lb("switch", "--service", "engine", "--to", "green")
    assert result.exit_code == 0, result.output
    assert world.nlb_target() == "green"
    assert last_good(world, world.nlb_listener_arn) == "blue=1 green=0"
    result = lb("rollback", "--service", "engine", "--route", "nlb")
    assert result.exit_code == 0, result.output
    assert world.nlb_target() == "blue"


def test_switch_refuses_an_unhealthy_group_and_shift_refuses_the_nlb(world: World) -> None:
    world.stop("green")
    result = lb("switch", "--service", "engine", "--to", "green")
    assert result.exit_code == 1
    assert "green: 0/1 healthy" in result.stderr
    assert world.nlb_target() == "blue"
    result = lb("switch", "--service", "engine", "--to", "purple")
    assert result.exit_code == 2
    assert "no target group 'purple'" in result.stderr


def test_rollback_without_a_record_says_so(world: World) -> None:
    result = lb("rollback", "--service", "engine")
    assert result.exit_code == 1
    assert "no last known good weights recorded" in result.stderr
