"""What ``bridgectl lb`` manages: the Terraform output ``lb_cutover``, read as a JSON file.

``terraform output -json lb_cutover > cutover.json`` writes it; ``--config`` or
``BRIDGECTL_LB_CONFIG`` points the CLI at it. A listener or rule that is not in this file,
or whose live tags do not name it as that service's cutover point, is not managed.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

Arn = Annotated[str, StringConstraints(pattern=r"^arn:aws[a-z-]*:elasticloadbalancing:")]
Color = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,31}$")]

MANAGED_TAG = "flowbridge:cutover"
"""Tag on every managed rule (ALB) and listener (NLB): ``<service>/<route>``."""


class Route(StrEnum):
    HTTP = "http"
    """Internal ALB rule (``/engine/*``) weighting the HTTP target groups."""
    GRPC = "grpc"
    """Internal ALB gRPC rule (HTTPS listener) weighting ``protocol_version=GRPC`` groups."""
    NLB = "nlb"
    """Internal NLB TCP listener: forwards to one target group, swapped by ``switch``."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WeightedRoute(_Frozen):
    """An ALB listener rule whose forward action is weighted between two target groups."""

    listener_arn: Arn
    rule_arn: Arn
    target_groups: dict[Color, Arn] = Field(min_length=2, max_length=2)
    """Exactly two (blue/green): a percentage then means one unambiguous pair of weights."""


class SwitchedRoute(_Frozen):
    """An NLB listener forwarding to one of its target groups at a time."""

    listener_arn: Arn
    target_groups: dict[Color, Arn] = Field(min_length=2, max_length=5)


class ServiceRoutes(_Frozen):
    http: WeightedRoute | None = None
    grpc: WeightedRoute | None = None
    nlb: SwitchedRoute | None = None

    def route(self, route: Route) -> WeightedRoute | SwitchedRoute | None:
        value: WeightedRoute | SwitchedRoute | None = getattr(self, route.value)
        return value


class CutoverConfig(_Frozen):
    region: str | None = None
    services: dict[str, ServiceRoutes] = Field(min_length=1)

    @field_validator("services")
    @classmethod
    def _names(cls, value: dict[str, ServiceRoutes]) -> dict[str, ServiceRoutes]:
        for name in value:
            if not name.isidentifier():
                raise ValueError(f"service name {name!r} must be an identifier (engine, agent)")
        return value

    @classmethod
    def load(cls, path: Path) -> CutoverConfig:
        data = json.loads(path.read_text(encoding="utf-8"))
        # `terraform output -json lb_cutover` prints the value itself; `terraform output
        # -json` prints {"lb_cutover": {"value": ...}, ...}: accept both.
        if isinstance(data, dict) and "lb_cutover" in data:
            data = data["lb_cutover"]["value"]
        return cls.model_validate(data)
