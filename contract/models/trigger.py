"""Trigger models: what starts a workflow, and the record of each firing."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from contract.models._base import ContractModel, EpochMillis, Identifier, StringMap


class TriggerType(StrEnum):
    MANUAL = "MANUAL"
    WEBHOOK = "WEBHOOK"
    CRON = "CRON"


class Trigger(ContractModel):
    id: Identifier
    workflow_id: Identifier
    type: TriggerType
    config: StringMap = Field(default_factory=dict)
    active: bool = True
    created_at: EpochMillis | None = None


class TriggerEvent(ContractModel):
    id: Identifier
    trigger_id: Identifier
    workflow_id: Identifier
    payload: dict[str, Any] = Field(default_factory=dict)
    execution_id: Identifier | None = None
    received_at: EpochMillis
