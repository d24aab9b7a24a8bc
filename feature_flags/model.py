"""The flag model: which protocol a call uses, per service and method, and how to move it.

A rule reads ``<transport>[:<percent>][+shadow]``:

- ``grpc`` / ``http``: every call goes to that protocol;
- ``http:25``: 25% of users (sticky by user id) go to HTTP, the rest to gRPC;
- ``+shadow``: reads are also sent to the other protocol, compared, never served from it.

A flag set has a global default (``TRANSPORT``), per-service rules
(``TRANSPORT_WORKFLOW_ENGINE``), per-method rules, and a kill switch that sends
everything to gRPC without shadows. Flag sets are immutable; every change makes a new one
with a higher revision.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

_RULE = re.compile(r"^(grpc|http)(?::(\d{1,3}))?(\+shadow)?$")


class Transport(StrEnum):
    GRPC = "grpc"
    HTTP = "http"

    @property
    def other(self) -> Transport:
        return Transport.HTTP if self is Transport.GRPC else Transport.GRPC


class Rule(BaseModel):
    """Where one scope's calls go."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    transport: Transport = Transport.GRPC
    percent: Annotated[int, Field(ge=0, le=100)] = 100
    """Share of users (sticky) sent to ``transport``; the others use the other protocol."""
    shadow: bool = False

    @classmethod
    def parse(cls, text: str) -> Rule:
        match = _RULE.match(text.strip().lower())
        if match is None or (match.group(2) is not None and int(match.group(2)) > 100):
            raise ValueError(
                f"invalid transport rule {text!r}: expected grpc|http[:0-100][+shadow], "
                "e.g. 'http', 'http:25', 'grpc+shadow'"
            )
        transport, percent, shadow = match.groups()
        return cls(
            transport=Transport(transport),
            percent=int(percent) if percent is not None else 100,
            shadow=shadow is not None,
        )

    def __str__(self) -> str:
        text = self.transport.value
        if self.percent != 100:
            text += f":{self.percent}"
        return text + ("+shadow" if self.shadow else "")


GRPC_ONLY = Rule()


def method_key(service: str, method: str) -> str:
    """Per-method rules are keyed ``service/method``, case-insensitively."""
    return f"{service}/{method}".lower()


class FlagSet(BaseModel):
    """Every flag, as one immutable document (what the stores hold and publish)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default: Rule = GRPC_ONLY
    services: dict[str, Rule] = Field(default_factory=dict)
    """By service name as the gateway calls it: ``workflow_engine``, ``workflow_agent``."""
    methods: dict[str, Rule] = Field(default_factory=dict)
    """By ``service/method`` (lower case), e.g. ``workflow_engine/getworkflow``."""
    kill_switch: bool = False
    """Everything to gRPC, no shadows: the big red button."""
    revision: int = 0

    @field_validator("services", "methods", mode="before")
    @classmethod
    def _rules_from_text(cls, value: object) -> object:
        if isinstance(value, dict):
            return {
                str(k).lower(): Rule.parse(v) if isinstance(v, str) else v for k, v in value.items()
            }
        return value

    @field_validator("default", mode="before")
    @classmethod
    def _default_from_text(cls, value: object) -> object:
        return Rule.parse(value) if isinstance(value, str) else value

    def rule_for(self, service: str, method: str) -> Rule:
        if self.kill_switch:
            return GRPC_ONLY
        return (
            self.methods.get(method_key(service, method))
            or self.services.get(service.lower())
            or self.default
        )

    def describe(self) -> dict[str, object]:
        """The flag set in its text form (for people, audit entries and the CLI)."""
        return {
            "default": str(self.default),
            "services": {k: str(v) for k, v in sorted(self.services.items())},
            "methods": {k: str(v) for k, v in sorted(self.methods.items())},
            "kill_switch": self.kill_switch,
            "revision": self.revision,
        }
