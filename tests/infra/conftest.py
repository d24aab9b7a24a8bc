"""A real elbv2 endpoint on loopback: moto in server mode, with a cutover layout in it.

The layout mirrors infra/terraform for one service (engine): an internal ALB whose
``/engine/*`` rule weights two HTTP target groups (blue, green), and an internal NLB whose
TCP listener forwards to one of two gRPC target groups. Targets are EC2 instances, so a
test degrades a group the way moto reports it: a stopped instance is not healthy.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from contract.ports import PORTS
from infra.lb.config import MANAGED_TAG

REGION = "eu-west-1"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass
class World:
    endpoint: str
    config_path: Path
    elbv2: Any
    ec2: Any
    rule_arn: str
    alb_listener_arn: str
    nlb_listener_arn: str
    http_groups: dict[str, str]
    nlb_groups: dict[str, str]
    instances: dict[str, str]
    """colour -> the instance registered in that colour's groups."""

    def rule_weights(self) -> dict[str, int]:
        rule = self.elbv2.describe_rules(RuleArns=[self.rule_arn])["Rules"][0]
        colors = {arn: color for color, arn in self.http_groups.items()}
        groups = rule["Actions"][0]["ForwardConfig"]["TargetGroups"]
        return {colors[g["TargetGroupArn"]]: g["Weight"] for g in groups}

    def nlb_target(self) -> str:
        listener = self.elbv2.describe_listeners(ListenerArns=[self.nlb_listener_arn])
        arn = listener["Listeners"][0]["DefaultActions"][0]["TargetGroupArn"]
        return {a: c for c, a in self.nlb_groups.items()}[arn]

    def stop(self, color: str) -> None:
        self.ec2.stop_instances(InstanceIds=[self.instances[color]])


@pytest.fixture
def world(moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": moto_endpoint,
    }.items():
        monkeypatch.setenv(name, value)
    httpx.post(f"{moto_endpoint}/moto-api/reset").raise_for_status()
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=moto_endpoint)
    elbv2 = boto3.client("elbv2", region_name=REGION, endpoint_url=moto_endpoint)

    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{az}")[
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
    alb = elbv2.create_load_balancer(
        Name="internal-api", Subnets=subnets, Scheme="internal", Type="application"
    )["LoadBalancers"][0]["LoadBalancerArn"]
    nlb = elbv2.create_load_balancer(
        Name="internal-grpc", Subnets=subnets, Scheme="internal", Type="network"
    )["LoadBalancers"][0]["LoadBalancerArn"]

    def group(name: str, protocol: str, port: int, color: str) -> str:
        arn: str = elbv2.create_target_group(
            Name=name, Protocol=protocol, Port=port, VpcId=vpc, TargetType="instance"
        )["TargetGroups"][0]["TargetGroupArn"]
        elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": instances[color], "Port": port}])
        return arn

    http_groups = {
        c: group(f"engine-http-{c}", "HTTP", engine.container_http, c) for c in ("blue", "green")
    }
    assert engine.grpc is not None
    nlb_groups = {c: group(f"engine-grpc-{c}", "TCP", engine.grpc, c) for c in ("blue", "green")}

    alb_listener = elbv2.create_listener(
        LoadBalancerArn=alb,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[
            {
                "Type": "fixed-response",
                "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"},
            }
        ],
    )["Listeners"][0]["ListenerArn"]
    rule = elbv2.create_rule(
        ListenerArn=alb_listener,
        Priority=200,
        Conditions=[{"Field": "path-pattern", "Values": ["/engine/*"]}],
        Actions=[
            {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [
                        {"TargetGroupArn": http_groups["blue"], "Weight": 100},
                        {"TargetGroupArn": http_groups["green"], "Weight": 0},
                    ]
                },
            }
        ],
    )["Rules"][0]["RuleArn"]
    nlb_listener = elbv2.create_listener(
        LoadBalancerArn=nlb,
        Protocol="TCP",
        Port=engine.grpc,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": nlb_groups["blue"]}],
    )["Listeners"][0]["ListenerArn"]
    elbv2.add_tags(ResourceArns=[rule], Tags=[{"Key": MANAGED_TAG, "Value": "engine/http"}])
    elbv2.add_tags(ResourceArns=[nlb_listener], Tags=[{"Key": MANAGED_TAG, "Value": "engine/nlb"}])

    config = {
        "region": REGION,
        "services": {
            "engine": {
                "http": {
                    "listener_arn": alb_listener,
                    "rule_arn": rule,
                    "target_groups": http_groups,
                },
                "nlb": {"listener_arn": nlb_listener, "target_groups": nlb_groups},
            }
        },
    }
    config_path = tmp_path / "cutover.json"
    # The shape `terraform output -json` prints (the CLI also takes the bare value).
    config_path.write_text(json.dumps({"lb_cutover": {"value": config, "type": "object"}}))
    monkeypatch.setenv("BRIDGECTL_LB_CONFIG", str(config_path))
    return World(
        moto_endpoint,
        config_path,
        elbv2,
        ec2,
        rule,
        alb_listener,
        nlb_listener,
        http_groups,
        nlb_groups,
        instances,
    )
