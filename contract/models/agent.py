"""Requests and responses of the agent's WorkflowAgent service."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from contract.models._base import ContractModel, Identifier, StringMap, UserId
from contract.models.workflow import Workflow

Prose = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class GenerateWorkflowRequest(ContractModel):
    description: Prose
    context: StringMap = Field(default_factory=dict)
    user_preferences: StringMap = Field(default_factory=dict)


class GenerateWorkflowResponse(ContractModel):
    success: bool
    workflow: Workflow | None = None
    suggestions: list[str] = Field(default_factory=list)
    missing_info: list[str] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    confidence_score: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0


class RefineWorkflowRequest(ContractModel):
    workflow_id: Identifier
    feedback: Prose
    original_workflow: Workflow


class RefineWorkflowResponse(ContractModel):
    success: bool
    updated_workflow: Workflow | None = None
    changes: list[str] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)


class ValidateWorkflowRequest(ContractModel):
    workflow_data: dict[str, Any]
    """The workflow as free-form JSON, so a broken one can still be received and judged."""


class ValidateWorkflowResponse(ContractModel):
    valid: bool
    errors: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class ConversationEventKind(StrEnum):
    STATUS = "STATUS"
    """A stage change (``understanding``, ``planning``, ``validating``...)."""
    MESSAGE = "MESSAGE"
    """Something the assistant says, e.g. a clarifying question."""
    WORKFLOW = "WORKFLOW"
    """The finished, validated workflow."""
    STATE = "STATE"
    """Last event of a turn: the state to send with the next turn."""


class ProcessConversationRequest(ContractModel):
    session_id: Identifier
    user_message: Prose
    user_id: UserId
    state: dict[str, Any] | None = None
    """The ``state`` of the previous turn's STATE event; absent on the first turn."""


class ProcessConversationResponse(ContractModel):
    """One event of a turn's stream; ``kind`` says which fields carry it."""

    kind: ConversationEventKind
    session_id: Identifier
    sequence: Annotated[int, Field(ge=0, le=2**31 - 1)]
    stage: Annotated[str, Field(max_length=64)] = ""
    text: Annotated[str, Field(max_length=20_000)] = ""
    workflow: Workflow | None = None
    missing_info: list[str] = Field(default_factory=list)
    state: dict[str, Any] | None = None
