"""infra/terraform: the split ALB/NLB topology, checked on the parsed HCL (no terraform
binary or provider here), against contract/ports.py, and by checkov."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from contract.ports import PORTS
from infra.lb.config import MANAGED_TAG, Route, SwitchedRoute, WeightedRoute
from tests.conftest import require_tool_or_skip
from tests.infra.terraform import TERRAFORM, blocks, locals_, modules, resources, text

REPO = TERRAFORM.parents[1]
OPEN = {"0.0.0.0/0", "::/0"}


def test_every_file_parses() -> None:
    assert set(modules()) >= {
        "versions.tf",
        "variables.tf",
        "locals.tf",
        "security_groups.tf",
        "target_groups.tf",
        "load_balancers.tf",
        "ecs.tf",
        "outputs.tf",
    }


def test_ports_match_the_single_source_of_truth() -> None:
    local = locals_()
    assert local["gateway_port"] == PORTS["gateway"].container_http
    for name, backend in local["backends"].items():
        ports = PORTS[name]
        assert local["container_http_port"] == ports.container_http
        assert backend["grpc_port"] == ports.grpc
        assert backend["service"] == ports.service
    assert set(local["backends"]) == {n for n, p in PORTS.items() if p.grpc is not None}


def test_load_balancer_visibility() -> None:
    lbs = resources("aws_lb")
    assert lbs["external"]["internal"] is False
    assert lbs["external"]["load_balancer_type"] == "application"
    assert lbs["external"]["subnets"] == "${var.public_subnet_ids}"
    assert lbs["internal"]["internal"] is True
    assert lbs["internal"]["load_balancer_type"] == "application"
    assert lbs["grpc"]["internal"] is True
    assert lbs["grpc"]["load_balancer_type"] == "network"
    for name in ("internal", "grpc"):
        assert lbs[name]["subnets"] == "${var.private_subnet_ids}"


def test_nothing_internal_is_open_to_the_internet() -> None:
    groups = resources("aws_security_group")
    for name, group in groups.items():
        for rule in group.get("ingress", []):
            # A list of literals, or one expression (concat of variables, validated).
            cidrs = [rule.get("cidr_blocks", []), rule.get("ipv6_cidr_blocks", [])]
            values = {c for v in cidrs for c in (v if isinstance(v, list) else [v])}
            if OPEN & values or any("0.0.0.0/0" in v for v in values if v.startswith("${")):
                assert name == "external_alb", f"{name} takes ingress from the internet"
                assert (rule["from_port"], rule["to_port"]) in {(443, 443), (80, 80)}
    external_ports = {(r["from_port"], r["to_port"]) for r in groups["external_alb"]["ingress"]}
    assert external_ports == {(443, 443), (80, 80)}
    # The internal ALB: the VPC and the developer CIDRs only (a validation refuses 0.0.0.0/0).
    for rule in groups["internal_alb"]["ingress"]:
        assert rule["cidr_blocks"] == "${concat([var.vpc_cidr], var.developer_cidrs)}"
    assert "0.0.0.0/0" in blocks("variable")[("developer_cidrs", "")]["validation"][0]["condition"]
    # Tasks take traffic from their load balancers' security groups only.
    for name in ("gateway", "backend"):
        for rule in groups[name]["ingress"]:
            assert "cidr_blocks" not in rule and rule["security_groups"]
    # Only the external ALB is in public subnets; ECS tasks get no public IP.
    for service in resources("aws_ecs_service").values():
        assert service["network_configuration"][0]["assign_public_ip"] is False
    # 80 on the external ALB only redirects to HTTPS.
    http = resources("aws_lb_listener")["external_http"]
    assert http["default_action"][0]["type"] == "redirect"
    assert http["default_action"][0]["redirect"][0]["protocol"] == "HTTPS"


def test_the_external_alb_reaches_only_the_gateway() -> None:
    rules = resources("aws_lb_listener_rule")
    listeners = resources("aws_lb_listener")
    external = {"${aws_lb_listener.external_https.arn}", "${aws_lb_listener.external_http.arn}"}
    on_external = [r for r in rules.values() if r["listener_arn"] in external]
    assert [r["action"][0]["target_group_arn"] for r in on_external] == [
        "${aws_lb_target_group.gateway.arn}"
    ]
    assert listeners["external_https"]["protocol"] == "HTTPS"
    assert listeners["external_https"]["default_action"][0]["type"] == "fixed-response"


def test_internal_path_routing_strips_the_prefix() -> None:
    local = locals_()
    assert {b["path"] for b in local["backends"].values()} == {"/agent", "/engine"}
    rule = resources("aws_lb_listener_rule")["http"]
    assert rule["for_each"] == "${local.backends}"
    assert rule["condition"][0]["path_pattern"][0]["values"] == ["${each.value.path}/*"]
    rewrite = rule["transform"][0]["url_rewrite_config"][0]["rewrite"][0]
    assert (rewrite["regex"], rewrite["replace"]) == ("^${each.value.path}/(.*)$", "/$1")
    priorities = [b["priority"] for b in local["backends"].values()]
    assert len(set(priorities)) == len(priorities)


def test_health_checks_on_both_protocols() -> None:
    groups = resources("aws_lb_target_group")
    for name in ("gateway", "http"):
        check = groups[name]["health_check"][0]
        assert (check["protocol"], check["path"], check["matcher"]) == ("HTTP", "/health", "200")
    grpc = groups["grpc"]
    assert grpc["protocol_version"] == "GRPC"
    check = grpc["health_check"][0]
    assert (check["path"], check["matcher"]) == ("/grpc.health.v1.Health/Check", "0")
    assert groups["nlb"]["protocol"] == "TCP"
    assert groups["nlb"]["port"] == "${each.value.grpc_port}"
    # Containers: bridge.healthcheck, which probes HTTP and gRPC (tests/infra/test_healthcheck.py).
    assert locals_()["container_health"]["command"] == ["CMD", "python", "-m", "bridge.healthcheck"]
    assert (
        "healthCheck = local.container_health"
        in resources("aws_ecs_task_definition")["backend"]["container_definitions"]
    )


def test_target_groups_are_replaced_create_before_destroy() -> None:
    for name, group in resources("aws_lb_target_group").items():
        assert group["lifecycle"][0]["create_before_destroy"] is True, name
        assert "name_prefix" in group and "name" not in group, name
        assert (
            len(
                group["name_prefix"]
                .replace("${substr(each.value.backend, 0, 2)}", "xx")
                .replace("${substr(each.value.color, 0, 1)}", "x")
            )
            <= 6
        )


def test_weights_are_variables() -> None:
    rules = resources("aws_lb_listener_rule")
    for route, variable in (("http", "http_weights"), ("grpc", "grpc_weights")):
        forward = rules[route]["action"][0]["forward"][0]
        weights = {g["arn"]: g["weight"] for g in forward["target_group"]}
        assert weights == {
            f'${{aws_lb_target_group.{route}["${{each.key}}-{color}"].arn}}': f"${{var.{variable}[each.key].{color}}}"
            for color in ("blue", "green")
        }
        assert len(forward["target_group"]) <= 5
        assert rules[route]["tags"] == {MANAGED_TAG: f"${{each.key}}/{route}"}
        condition = blocks("variable")[(variable, "")]["validation"][0]["condition"]
        assert "999" in condition and "w.blue >= 0" in condition
    nlb = resources("aws_lb_listener")["grpc"]
    assert nlb["protocol"] == "TCP"
    assert nlb["default_action"][0]["target_group_arn"] == (
        '${aws_lb_target_group.nlb["${each.key}-${var.nlb_active[each.key]}"].arn}'
    )
    assert nlb["tags"] == {MANAGED_TAG: f"${{each.key}}/{Route.NLB.value}"}


def test_ecs_tasks_serve_both_ports_behind_their_target_groups() -> None:
    task = resources("aws_ecs_task_definition")["backend"]["container_definitions"]
    assert "containerPort = local.container_http_port" in task
    assert "containerPort = each.value.grpc_port" in task
    assert '{name = "PORT", value = tostring(local.container_http_port)}' in task
    assert '{name = "GRPC_PORT", value = tostring(each.value.grpc_port)}' in task
    assert "PROTOCOLS" in task
    # The ALB strips the same prefix it routes on: the docs must know it (ROOT_PATH).
    assert '{name = "ROOT_PATH", value = each.value.path}' in task
    service = resources("aws_ecs_service")["backend"]
    (dynamic,) = service["dynamic"]
    assert dynamic["load_balancer"]["for_each"] == "${local.attachments[each.key]}"
    content = dynamic["load_balancer"]["content"][0]
    assert content["container_port"] == "${load_balancer.value.container_port}"
    # Each target group only when the colour serves its protocol (ECS replaces a task
    # that fails any of its groups' health checks).
    attachments = locals_()["attachments"]
    http_part, grpc_part = attachments.split('"grpc")')
    assert 'contains(split(",", var.protocols[d.color]), "http")' in http_part
    assert (
        "{target_group_arn = aws_lb_target_group.http[key].arn, container_port = local.container_http_port}"
        in http_part
    )
    assert (
        "{target_group_arn = aws_lb_target_group.grpc[key].arn, container_port = d.grpc_port}"
        in grpc_part
    )
    assert (
        "{target_group_arn = aws_lb_target_group.nlb[key].arn, container_port = d.grpc_port}"
        in grpc_part
    )
    assert service["launch_type"] == "FARGATE"
    gateway = resources("aws_ecs_task_definition")["gateway"]["container_definitions"]
    # No version in base URLs (clients add /v1); gRPC through the NLB.
    assert '"http://${aws_lb.internal.dns_name}${local.backends.engine.path}"' in gateway
    assert '"${aws_lb.grpc.dns_name}:${local.backends.engine.grpc_port}"' in gateway
    assert "/v1" not in gateway


def test_no_secret_is_committed() -> None:
    source = text()
    assert not re.search(r"(?i)(api_key|secret|password|token)\s*=\s*\"[^\"$]{8,}\"", source)
    assert not re.search(r"sk-[A-Za-z0-9]{10,}", source)


def test_the_cutover_output_has_the_shape_bridgectl_lb_reads() -> None:
    value = blocks("output")[("lb_cutover", "")]["value"]
    assert set(value) == {"region", "services"}
    services = value["services"]
    for route in Route:
        assert f"{route.value} = {{listener_arn = " in services
    fields = set(re.findall(r"(\w+) = (?:aws_|\{for)", services))
    assert fields == set(WeightedRoute.model_fields) | set(SwitchedRoute.model_fields)


def test_terraform_fmt() -> None:
    if shutil.which("terraform") is None:
        pytest.skip("terraform is not installed (not installable from the package registries here)")
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-diff", "-no-color", str(TERRAFORM)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def checkov() -> str | None:
    for candidate in (REPO / ".venv" / "tools" / "bin" / "checkov", shutil.which("checkov")):
        if candidate and Path(candidate).exists():
            return str(candidate)
    return None


def test_checkov_passes_with_every_skip_justified() -> None:
    skips = re.findall(r"#checkov:skip=(CKV\w+)(:?)(.*)", text())
    assert skips, "expected the documented skips"
    for check, colon, reason in skips:
        assert colon and len(reason.strip()) >= 20, f"{check} is skipped without a reason"
    binary = checkov()
    if binary is None:
        require_tool_or_skip("checkov (.ci/run installs it in .venv/tools)")
        return
    result = subprocess.run(
        [
            binary,
            "-d",
            str(TERRAFORM),
            "--framework",
            "terraform",
            "--compact",
            "--quiet",
            "--skip-download",
            "--output",
            "cli",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Failed checks: 0" in result.stdout
    passed = re.search(r"Passed checks: (\d+)", result.stdout)
    assert passed and int(passed.group(1)) > 50
