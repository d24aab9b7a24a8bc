"""Load-balancer cutover over boto3 ``elbv2``: read, change, read back, and undo.

Every change is validated against AWS's limits first (moto, and sometimes AWS itself,
accepts or reports a change before it is in force), then read back and compared: a
mismatch is an error, never a success. Before a change the weights in force are recorded
as "last known good" in tags on the rule (ALB) or listener (NLB), so ``rollback`` restores
exactly those, from any machine, without a local state file.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from infra.lb.config import MANAGED_TAG, CutoverConfig, Route, SwitchedRoute, WeightedRoute
from infra.lb.weights import (
    Weights,
    check_stickiness,
    check_weights,
    decode,
    encode,
    percent_of,
    plan_steps,
    weights_for_percent,
)

if TYPE_CHECKING:
    from mypy_boto3_elbv2.client import ElasticLoadBalancingv2Client
    from mypy_boto3_elbv2.type_defs import ActionTypeDef, TargetGroupStickinessConfigTypeDef

LAST_GOOD_TAG = "flowbridge:last-good"
LAST_GOOD_AT_TAG = "flowbridge:last-good-at"


class CutoverError(Exception):
    """A cutover step that did not happen or did not take effect."""


class NotManaged(CutoverError):
    """Bad input: an unknown service, route or listener; nothing was changed."""


class HealthStop(CutoverError):
    """Target health is not good enough for the next step; the shift stopped there."""


class ReadBackMismatch(CutoverError):
    """AWS reports weights other than the ones just written."""


@dataclass(frozen=True, slots=True)
class GroupHealth:
    color: str
    arn: str
    states: Mapping[str, int]
    """Target-health state -> number of targets (healthy, unhealthy, unused, draining...)."""

    @property
    def total(self) -> int:
        return sum(self.states.values())

    @property
    def healthy(self) -> int:
        return self.states.get("healthy", 0)

    def problem(self, min_healthy_percent: int) -> str | None:
        if self.total == 0:
            return f"{self.color}: no registered targets"
        if 100 * self.healthy < min_healthy_percent * self.total:
            summary = ", ".join(f"{n} {state}" for state, n in sorted(self.states.items()))
            return f"{self.color}: {self.healthy}/{self.total} healthy ({summary})"
        return None


@dataclass(slots=True)
class ShiftReport:
    service: str
    route: Route
    before: Weights
    applied: list[Weights] = field(default_factory=list)

    @property
    def now(self) -> Weights:
        return self.applied[-1] if self.applied else self.before


@dataclass(frozen=True, slots=True)
class RouteStatus:
    service: str
    route: Route
    weights: Weights
    health: Sequence[GroupHealth]
    last_good: str | None


class Cutover:
    """The managed routes of one ``CutoverConfig`` on one elbv2 endpoint."""

    def __init__(
        self,
        client: ElasticLoadBalancingv2Client,
        config: CutoverConfig,
        *,
        echo: Callable[[str], None] = print,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.config = config
        self.echo = echo
        self.sleep = sleep

    # -- what is managed ---------------------------------------------------------------

    def route(
        self, service: str, route: Route, listener_arn: str | None = None
    ) -> WeightedRoute | SwitchedRoute:
        routes = self.config.services.get(service)
        if routes is None:
            known = ", ".join(sorted(self.config.services))
            raise NotManaged(f"unknown service {service!r} (managed: {known})")
        found = routes.route(route)
        if found is None:
            raise NotManaged(f"service {service!r} has no managed {route.value} route")
        if listener_arn is not None and listener_arn != found.listener_arn:
            raise NotManaged(
                f"listener {listener_arn} is not managed for {service}/{route.value} "
                f"(managed: {found.listener_arn})"
            )
        tagged = self._arn(found)
        tags = self._tags(tagged)
        if tags.get(MANAGED_TAG) != f"{service}/{route.value}":
            raise NotManaged(
                f"{tagged} is not tagged {MANAGED_TAG}={service}/{route.value} "
                f"(found {tags.get(MANAGED_TAG)!r}): not managed by bridgectl lb"
            )
        return found

    @staticmethod
    def _arn(route: WeightedRoute | SwitchedRoute) -> str:
        return route.rule_arn if isinstance(route, WeightedRoute) else route.listener_arn

    def _tags(self, arn: str) -> dict[str, str]:
        reply = self.client.describe_tags(ResourceArns=[arn])
        for description in reply["TagDescriptions"]:
            if description.get("ResourceArn") == arn:
                return {t["Key"]: t.get("Value", "") for t in description.get("Tags", [])}
        return {}

    # -- reading -----------------------------------------------------------------------

    def _forward(
        self, route: WeightedRoute | SwitchedRoute
    ) -> tuple[Weights, TargetGroupStickinessConfigTypeDef]:
        if isinstance(route, WeightedRoute):
            rules = self.client.describe_rules(RuleArns=[route.rule_arn])["Rules"]
            actions = rules[0].get("Actions", []) if rules else []
        else:
            listeners = self.client.describe_listeners(ListenerArns=[route.listener_arn])
            actions = listeners["Listeners"][0].get("DefaultActions", [])
        forwards = [a for a in actions if a.get("Type") == "forward"]
        if len(forwards) != 1:
            raise NotManaged(f"{self._arn(route)} has {len(forwards)} forward actions, not 1")
        action = forwards[0]
        colors = {arn: color for color, arn in route.target_groups.items()}
        config = action.get("ForwardConfig", {})
        groups = config.get("TargetGroups") or [
            {"TargetGroupArn": action.get("TargetGroupArn", ""), "Weight": 1}
        ]
        weights: Weights = {}
        for group in groups:
            arn = group.get("TargetGroupArn", "")
            if arn not in colors:
                raise NotManaged(f"{self._arn(route)} forwards to {arn}, which is not managed")
            weights[colors[arn]] = int(group.get("Weight", 1))
        for color in route.target_groups:
            weights.setdefault(color, 0)
        off: TargetGroupStickinessConfigTypeDef = {"Enabled": False}
        return weights, config.get("TargetGroupStickinessConfig", off)

    def weights(self, route: WeightedRoute | SwitchedRoute) -> Weights:
        return self._forward(route)[0]

    def health(
        self, route: WeightedRoute | SwitchedRoute, colors: Sequence[str]
    ) -> list[GroupHealth]:
        result = []
        for color in colors:
            arn = route.target_groups[color]
            states: dict[str, int] = {}
            reply = self.client.describe_target_health(TargetGroupArn=arn)
            for description in reply["TargetHealthDescriptions"]:
                state = description.get("TargetHealth", {}).get("State", "unknown")
                states[state] = states.get(state, 0) + 1
            result.append(GroupHealth(color, arn, states))
        return result

    def _require_health(
        self, route: WeightedRoute | SwitchedRoute, weights: Weights, min_healthy_percent: int
    ) -> None:
        receiving = [color for color, weight in weights.items() if weight > 0]
        problems = [
            problem
            for group in self.health(route, receiving)
            if (problem := group.problem(min_healthy_percent)) is not None
        ]
        if problems:
            raise HealthStop("target health: " + "; ".join(problems))

    def status(self) -> list[RouteStatus]:
        rows = []
        for service, routes in sorted(self.config.services.items()):
            for route in Route:
                found = routes.route(route)
                if found is None:
                    continue
                rows.append(
                    RouteStatus(
                        service,
                        route,
                        self.weights(found),
                        self.health(found, list(found.target_groups)),
                        self._tags(self._arn(found)).get(LAST_GOOD_TAG),
                    )
                )
        return rows

    # -- writing -----------------------------------------------------------------------

    def _write(self, route: WeightedRoute | SwitchedRoute, weights: Weights) -> None:
        check_weights(weights)
        _, stickiness = self._forward(route)
        check_stickiness(bool(stickiness.get("Enabled")), stickiness.get("DurationSeconds"))
        if isinstance(route, WeightedRoute):
            action: ActionTypeDef = {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [
                        {"TargetGroupArn": route.target_groups[color], "Weight": weight}
                        for color, weight in sorted(weights.items())
                    ],
                    "TargetGroupStickinessConfig": stickiness,
                },
            }
            self.client.modify_rule(RuleArn=route.rule_arn, Actions=[action])
        else:
            (active,) = [color for color, weight in weights.items() if weight > 0]
            target: ActionTypeDef = {
                "Type": "forward",
                "TargetGroupArn": route.target_groups[active],
            }
            self.client.modify_listener(ListenerArn=route.listener_arn, DefaultActions=[target])
        now = self.weights(route)
        expected = self._normalise(route, weights)
        if self._normalise(route, now) != expected:
            raise ReadBackMismatch(
                f"{self._arn(route)}: wrote {encode(expected)}, AWS reports {encode(now)}"
            )

    @staticmethod
    def _normalise(route: WeightedRoute | SwitchedRoute, weights: Weights) -> Weights:
        if isinstance(route, SwitchedRoute):  # one target group: its weight is irrelevant
            return {color: int(weights.get(color, 0) > 0) for color in route.target_groups}
        return {color: weights.get(color, 0) for color in route.target_groups}

    def _record_last_good(self, route: WeightedRoute | SwitchedRoute, weights: Weights) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.client.add_tags(
            ResourceArns=[self._arn(route)],
            Tags=[
                {"Key": LAST_GOOD_TAG, "Value": encode(weights)},
                {"Key": LAST_GOOD_AT_TAG, "Value": stamp},
            ],
        )

    # -- the three verbs ---------------------------------------------------------------

    def shift(
        self,
        service: str,
        route: Route,
        *,
        to: str,
        percent: int,
        step: int = 10,
        pause: float = 30.0,
        min_healthy_percent: int = 100,
        listener_arn: str | None = None,
    ) -> ShiftReport:
        """Move ``percent`` % of a weighted route to ``to`` in steps, health first each time."""
        if route is Route.NLB:
            raise NotManaged("the NLB forwards to one target group: use `switch`")
        found = self.route(service, route, listener_arn)
        assert isinstance(found, WeightedRoute)
        if to not in found.target_groups:
            raise NotManaged(
                f"{service}/{route.value} has no target group {to!r} "
                f"(has: {', '.join(found.target_groups)})"
            )
        final = weights_for_percent(list(found.target_groups), to, percent)  # validates
        before = self.weights(found)
        report = ShiftReport(service, route, before)
        steps = plan_steps(percent_of(before, to), percent, step)
        if not steps:
            self.echo(f"{service}/{route.value}: already at {encode(before)}")
            return report
        # Healthy now -> these are the weights to come back to.
        self._require_health(found, before, min_healthy_percent)
        self._record_last_good(found, before)
        self.echo(f"{service}/{route.value}: last known good {encode(before)} recorded")
        for index, value in enumerate(steps):
            weights = weights_for_percent(list(found.target_groups), to, value)
            try:
                self._require_health(found, weights, min_healthy_percent)
            except HealthStop as exc:
                raise HealthStop(
                    f"{service}/{route.value} stopped at {encode(report.now)} before "
                    f"{encode(weights)}: {exc}; `bridgectl lb rollback --service {service} "
                    f"--route {route.value}` restores {encode(before)}"
                ) from None
            self._write(found, weights)
            report.applied.append(weights)
            self.echo(f"{service}/{route.value}: {encode(weights)} (read back)")
            if index < len(steps) - 1 and pause > 0:
                self.sleep(pause)
        assert report.now == final
        return report

    def switch(
        self,
        service: str,
        *,
        to: str,
        min_healthy_percent: int = 100,
        listener_arn: str | None = None,
    ) -> Weights:
        """Point the NLB listener at ``to`` in one ModifyListener call (atomic)."""
        found = self.route(service, Route.NLB, listener_arn)
        if to not in found.target_groups:
            raise NotManaged(
                f"{service}/nlb has no target group {to!r} (has: {', '.join(found.target_groups)})"
            )
        before = self.weights(found)
        target = {color: int(color == to) for color in found.target_groups}
        if before == target:
            self.echo(f"{service}/nlb: already forwarding to {to}")
            return before
        self._require_health(found, target, min_healthy_percent)
        self._record_last_good(found, before)
        self._write(found, target)
        self.echo(
            f"{service}/nlb: forwarding to {to} (read back); last known good {encode(before)}"
        )
        return target

    def rollback(self, service: str, route: Route, listener_arn: str | None = None) -> Weights:
        """Restore the weights recorded before the last shift/switch, exactly."""
        found = self.route(service, route, listener_arn)
        recorded = self._tags(self._arn(found)).get(LAST_GOOD_TAG)
        if recorded is None:
            raise CutoverError(f"{service}/{route.value}: no last known good weights recorded")
        weights = decode(recorded)
        unknown = set(weights) - set(found.target_groups)
        if unknown:
            raise CutoverError(f"recorded weights name unmanaged groups: {sorted(unknown)}")
        # Rolling back is the emergency path: health is reported, never a reason to refuse.
        for group in self.health(found, [c for c, w in weights.items() if w > 0]):
            if (problem := group.problem(100)) is not None:
                self.echo(f"warning: rolling back onto degraded targets: {problem}")
        self._write(found, weights)
        self.echo(f"{service}/{route.value}: rolled back to {encode(weights)} (read back)")
        return weights
