"""Requests and responses of the engine's WorkflowService and TriggerService."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator

from contract.models._base import (
    ContractModel,
    Description,
    Identifier,
    Limit,
    Name,
    Offset,
    StringMap,
    Tags,
    UserId,
)
from contract.models.execution import Execution, ExecutionStatus
from contract.models.trigger import Trigger, TriggerEvent, TriggerType
from contract.models.workflow import (
    MAX_NODES,
    Connections,
    Node,
    Workflow,
    WorkflowSettings,
    check_connections,
    check_unique_node_ids,
)

DEFAULT_LIMIT = 50
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]
Nodes = Annotated[list[Node], Field(min_length=1, max_length=MAX_NODES)]


class CreateWorkflowRequest(ContractModel):
    user_id: UserId
    name: Name
    description: Description | None = None
    nodes: Nodes
    connections: Connections = Field(default_factory=dict)
    settings: WorkflowSettings | None = None
    static_data: StringMap = Field(default_factory=dict)
    tags: Tags = Field(default_factory=list)
    session_id: str | None = None
    pin_data: StringMap = Field(default_factory=dict)
    active: bool = True

    @model_validator(mode="after")
    def _graph_is_consistent(self) -> CreateWorkflowRequest:
        check_unique_node_ids(self.nodes)
        check_connections(self.nodes, self.connections)
        return self


class CreateWorkflowResponse(ContractModel):
    workflow: Workflow
    success: bool
    message: str = ""


class GetWorkflowRequest(ContractModel):
    workflow_id: Identifier
    user_id: UserId


class GetWorkflowResponse(ContractModel):
    workflow: Workflow | None = None
    found: bool
    message: str = ""


class UpdateWorkflowRequest(ContractModel):
    """Partial update: ``None`` means "leave as it is"."""

    workflow_id: Identifier
    user_id: UserId
    name: Name | None = None
    description: Description | None = None
    nodes: Nodes | None = None
    connections: Connections | None = None
    settings: WorkflowSettings | None = None
    static_data: StringMap | None = None
    tags: Tags | None = None
    active: bool | None = None
    session_id: str | None = None
    expected_version: str | None = None
    """Apply only if the stored version is this one (else FAILED_PRECONDITION)."""
    pin_data: StringMap | None = None

    @model_validator(mode="after")
    def _graph_is_consistent(self) -> UpdateWorkflowRequest:
        if self.nodes is not None:
            check_unique_node_ids(self.nodes)
            if self.connections is not None:
                check_connections(self.nodes, self.connections)
        return self


class UpdateWorkflowResponse(ContractModel):
    workflow: Workflow
    success: bool
    message: str = ""


class DeleteWorkflowRequest(ContractModel):
    workflow_id: Identifier
    user_id: UserId


class DeleteWorkflowResponse(ContractModel):
    success: bool
    message: str = ""


class ListWorkflowsRequest(ContractModel):
    user_id: UserId
    active_only: bool = True
    tags: Tags = Field(default_factory=list)
    limit: Limit = DEFAULT_LIMIT
    offset: Offset = 0


class ListWorkflowsResponse(ContractModel):
    workflows: list[Workflow] = Field(default_factory=list)
    total_count: Count = 0
    has_more: bool = False


class ExecuteWorkflowRequest(ContractModel):
    workflow_id: Identifier
    user_id: UserId
    trigger_data: dict[str, Any] = Field(default_factory=dict)
    session_id: str | None = None


class ExecuteWorkflowResponse(ContractModel):
    execution_id: Identifier
    status: ExecutionStatus
    success: bool
    message: str = ""


class GetExecutionRequest(ContractModel):
    execution_id: Identifier
    user_id: UserId


class GetExecutionResponse(ContractModel):
    execution: Execution


class ListExecutionsRequest(ContractModel):
    user_id: UserId
    workflow_id: Identifier | None = None
    status: ExecutionStatus | None = None
    """``None`` means any status."""
    limit: Limit = DEFAULT_LIMIT
    offset: Offset = 0


class ListExecutionsResponse(ContractModel):
    executions: list[Execution] = Field(default_factory=list)
    total_count: Count = 0
    has_more: bool = False


class CancelExecutionRequest(ContractModel):
    execution_id: Identifier
    user_id: UserId


class CancelExecutionResponse(ContractModel):
    execution: Execution
    success: bool
    message: str = ""


class CreateTriggerRequest(ContractModel):
    user_id: UserId
    workflow_id: Identifier
    type: TriggerType
    config: StringMap = Field(default_factory=dict)
    active: bool = True


class CreateTriggerResponse(ContractModel):
    trigger: Trigger


class GetTriggerRequest(ContractModel):
    trigger_id: Identifier
    user_id: UserId


class GetTriggerResponse(ContractModel):
    trigger: Trigger


class ListTriggersRequest(ContractModel):
    user_id: UserId
    workflow_id: Identifier | None = None
    limit: Limit = DEFAULT_LIMIT
    offset: Offset = 0


class ListTriggersResponse(ContractModel):
    triggers: list[Trigger] = Field(default_factory=list)
    total_count: Count = 0
    has_more: bool = False


class DeleteTriggerRequest(ContractModel):
    trigger_id: Identifier
    user_id: UserId


class DeleteTriggerResponse(ContractModel):
    success: bool
    message: str = ""


class FireTriggerRequest(ContractModel):
    trigger_id: Identifier
    user_id: UserId
    payload: dict[str, Any] = Field(default_factory=dict)


class FireTriggerResponse(ContractModel):
    execution_id: Identifier
    event: TriggerEvent


class FireWebhookRequest(ContractModel):
    trigger_id: Identifier
    payload: dict[str, Any] = Field(default_factory=dict)


class FireWebhookResponse(ContractModel):
    execution_id: Identifier
    event: TriggerEvent


class ListTriggerEventsRequest(ContractModel):
    trigger_id: Identifier
    user_id: UserId
    limit: Limit = DEFAULT_LIMIT
    offset: Offset = 0


class ListTriggerEventsResponse(ContractModel):
    events: list[TriggerEvent] = Field(default_factory=list)
    total_count: Count = 0
    has_more: bool = False
