"""Execution models: one run of a workflow and what each node did in it."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field

from contract.models._base import ContractModel, EpochMillis, Identifier


class ExecutionStatus(StrEnum):
    NEW = "NEW"
    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    ERROR = "ERROR"
    CANCELED = "CANCELED"
    TIMED_OUT = "TIMED_OUT"


class ExecutionMode(StrEnum):
    MANUAL = "MANUAL"
    WEBHOOK = "WEBHOOK"
    CRON = "CRON"


class NodeRunStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    ERROR = "ERROR"
    SKIPPED = "SKIPPED"
    CANCELED = "CANCELED"


class NodeRun(ContractModel):
    node_id: Identifier
    status: NodeRunStatus
    input: dict[str, Any] = Field(default_factory=dict)
    output: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    attempts: Annotated[int, Field(ge=0, le=1000)] = 0
    started_at: EpochMillis | None = None
    finished_at: EpochMillis | None = None


class ExecutionError(ContractModel):
    message: str
    node_id: Identifier | None = None


class Execution(ContractModel):
    id: Identifier
    workflow_id: Identifier
    status: ExecutionStatus
    mode: ExecutionMode
    trigger_data: dict[str, Any] = Field(default_factory=dict)
    trigger_id: Identifier | None = None
    started_at: EpochMillis | None = None
    finished_at: EpochMillis | None = None
    run_data: dict[str, NodeRun] = Field(default_factory=dict)
    """Per node id."""
    error: ExecutionError | None = None
    created_at: EpochMillis | None = None
