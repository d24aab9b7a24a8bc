"""``bridgectl drill --lb``: the load-balancer way back, on moto's elbv2 in server mode.

A moto server on a free loopback port gets the layout infra/terraform builds for the
engine (an internal ALB rule weighting two HTTP target groups, blue and green, and an
internal NLB listener forwarding to one of two gRPC groups; the targets are EC2 instances,
so a stopped instance is an unhealthy target). Then, through ``infra.lb.Cutover`` (what
``bridgectl lb`` runs): the ALB rule walks blue -> green in steps and the NLB switches to
green; the fault stops green's instance; the drill watches green's target health, rolls
both routes back to their last known good weights the moment it turns unhealthy, and
reads the weights back. moto forwards no traffic, so this part measures the control plane
(detection, rollback, read-back), not requests.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from contract.ports import PORTS
from infra.lb.balancer import Cutover
from infra.lb.config import MANAGED_TAG, CutoverConfig, Route
from infra.lb.weights import encode

REGION = "eu-west-1"
KEY = "drill"
"""moto accepts any credentials; these keep the drill off the caller's real ones."""


class LbReport(BaseModel):
    verdict: str
    rollback_seconds: float | None
    """Green's instance stopped -> both routes read back at their last known good."""
    detect_seconds: float | None
    alb_weights: dict[str, int]
    nlb_weights: dict[str, int]
    steps: list[str]
    problems: list[str]


@dataclass
class _World:
    client: Any
    ec2: Any
    config: CutoverConfig
    instances: dict[str, str]


@contextmanager
def moto_world() -> Iterator[_World]:
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        session = boto3.Session(
            aws_access_key_id=KEY, aws_secret_access_key=KEY, region_name=REGION
        )
        ec2 = session.client("ec2", endpoint_url=endpoint)
        elbv2 = session.client("elbv2", endpoint_url=endpoint)
        yield _layout(ec2, elbv2)
    finally:
        server.stop()


def _layout(ec2: Any, elbv2: Any) -> _World:
    # moto keeps its state per process, not per server: names of their own, so another
    # moto user in the same process (the infra tests) and this one never collide.
    tag = uuid.uuid4().hex[:6]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=REGION + az)[
            "Subnet"
        ]["SubnetId"]
        for i, az in enumerate("ab")
    ]
    image = ec2.describe_images()["Images"][0]["ImageId"]
    reservation = ec2.run_instances(
        ImageId=image, MinCount=2, MaxCount=2, SubnetId=subnets[0], InstanceType="t3.micro"
    )
    instances = dict(
        zip(("blue", "green"), (i["InstanceId"] for i in reservation["Instances"]), strict=True)
    )
    engine = PORTS["engine"]
    assert engine.grpc is not None

    def balancer(name: str, kind: str) -> str:
        arn: str = elbv2.create_load_balancer(
            Name=f"{name}-{tag}", Subnets=subnets, Scheme="internal", Type=kind
        )["LoadBalancers"][0]["LoadBalancerArn"]
        return arn

    def group(name: str, protocol: str, port: int, color: str) -> str:
        arn: str = elbv2.create_target_group(
            Name=f"{name}-{tag}", Protocol=protocol, Port=port, VpcId=vpc, TargetType="instance"
        )["TargetGroups"][0]["TargetGroupArn"]
        elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": instances[color], "Port": port}])
        return arn

    alb, nlb = balancer("internal-api", "application"), balancer("internal-grpc", "network")
    http = {c: group(f"engine-http-{c}", "HTTP", engine.container_http, c) for c in instances}
    grpc = {c: group(f"engine-grpc-{c}", "TCP", engine.grpc, c) for c in instances}
    not_found = {"StatusCode": "404", "ContentType": "text/plain"}
    alb_listener = elbv2.create_listener(
        LoadBalancerArn=alb, Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": not_found}],
    )["Listeners"][0]["ListenerArn"]  # fmt: skip
    forward = {"TargetGroups": [{"TargetGroupArn": http["blue"], "Weight": 100},
                                {"TargetGroupArn": http["green"], "Weight": 0}]}  # fmt: skip
    rule = elbv2.create_rule(
        ListenerArn=alb_listener, Priority=200,
        Conditions=[{"Field": "path-pattern", "Values": ["/engine/*"]}],
        Actions=[{"Type": "forward", "ForwardConfig": forward}],
    )["Rules"][0]["RuleArn"]  # fmt: skip
    nlb_listener = elbv2.create_listener(
        LoadBalancerArn=nlb, Protocol="TCP", Port=engine.grpc,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": grpc["blue"]}],
    )["Listeners"][0]["ListenerArn"]  # fmt: skip
    elbv2.add_tags(ResourceArns=[rule], Tags=[{"Key": MANAGED_TAG, "Value": "engine/http"}])
    elbv2.add_tags(ResourceArns=[nlb_listener], Tags=[{"Key": MANAGED_TAG, "Value": "engine/nlb"}])
    config = CutoverConfig.model_validate(
        {
            "region": REGION,
            "services": {
                "engine": {
                    "http": {"listener_arn": alb_listener, "rule_arn": rule, "target_groups": http},
                    "nlb": {"listener_arn": nlb_listener, "target_groups": grpc},
                }
            },
        }
    )
    return _World(elbv2, ec2, config, instances)


def run_lb_drill(
    on_event: Callable[[str, str], None], *, pause: float = 0.2, timeout: float = 20.0
) -> LbReport:
    """Walk, break green, roll back; ``on_event(what, kind)`` reports the timeline."""
    steps: list[str] = []
    problems: list[str] = []
    with moto_world() as world:
        cutover = Cutover(world.client, world.config, echo=steps.append, sleep=time.sleep)
        alb = cutover.route("engine", Route.HTTP)
        nlb = cutover.route("engine", Route.NLB)
        on_event("lb: ALB /engine/* blue -> green in steps", "step")
        cutover.shift("engine", Route.HTTP, to="green", percent=100, step=25, pause=pause)
        cutover.switch("engine", to="green")
        on_event(f"lb: ALB {encode(cutover.weights(alb))}, NLB -> green", "step")
        world.ec2.stop_instances(InstanceIds=[world.instances["green"]])
        fault_at = time.monotonic()
        on_event("lb fault: green's instance stopped", "fault")
        detected: float | None = None
        deadline = fault_at + timeout
        while time.monotonic() < deadline:
            [green] = cutover.health(alb, ["green"])
            if green.problem(100) is not None:
                detected = time.monotonic()
                break
            time.sleep(0.05)
        rolled_back: float | None = None
        if detected is None:
            problems.append(f"green never turned unhealthy within {timeout:.0f}s")
        else:
            on_event("lb: green unhealthy; rolling back", "info")
            cutover.rollback("engine", Route.HTTP)
            cutover.rollback("engine", Route.NLB)
            rolled_back = time.monotonic()
        alb_weights, nlb_weights = cutover.weights(alb), cutover.weights(nlb)
        if rolled_back is not None:
            on_event(f"lb rollback: ALB {encode(alb_weights)}, NLB {encode(nlb_weights)}",
                     "rollback")  # fmt: skip
        if alb_weights != {"blue": 100, "green": 0}:
            problems.append(f"ALB weights after the rollback: {encode(alb_weights)}")
        if nlb_weights != {"blue": 1, "green": 0}:
            problems.append(f"NLB after the rollback: {encode(nlb_weights)}")
    return LbReport(
        verdict="fail" if problems else "pass",
        rollback_seconds=None if rolled_back is None else round(rolled_back - fault_at, 3),
        detect_seconds=None if detected is None else round(detected - fault_at, 3),
        alb_weights=alb_weights,
        nlb_weights=nlb_weights,
        steps=steps,
        problems=problems,
    )
