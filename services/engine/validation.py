"""Checks the engine makes beyond the models' own rules: it only stores what it can run."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from cronsim import CronSim, CronSimError

from bridge.converter import FieldViolation
from bridge.errors import InvalidArgument
from contract.models import Node, TriggerType
from services.catalog import node_problems


def check_runnable(nodes: Sequence[Node], *, prefix: str = "nodes") -> None:
    """Every node type is in the catalog, has its required parameters, and its literal
    parameter values are usable (the catalog's checks, shared with the agent)."""
    violations = [
        FieldViolation(f"{prefix}[{index}].{path}", message)
        for index, node in enumerate(nodes)
        for path, message in node_problems(node.type, node.subtype, node.parameters)
    ]
    if violations:
        raise InvalidArgument.from_violations(violations)


def check_trigger_config(kind: TriggerType, config: dict[str, str]) -> None:
    """A cron trigger needs a valid 5-field expression; a webhook path must start with /."""
    if kind is TriggerType.CRON:
        expression = config.get("cron")
        if not expression:
            raise InvalidArgument.from_violations(
                [FieldViolation("config.cron", "a CRON trigger needs a cron expression")]
            )
        try:
            CronSim(expression, datetime.now(UTC))
        except CronSimError as exc:
            raise InvalidArgument.from_violations(
                [FieldViolation("config.cron", f"invalid cron expression: {exc}")]
            ) from None
    if kind is TriggerType.WEBHOOK and "path" in config and not config["path"].startswith("/"):
        raise InvalidArgument.from_violations(
            [FieldViolation("config.path", "a webhook path must start with '/'")]
        )
