"""A small in-memory service on the engine's WorkflowService contract, for bridge tests.

It is declared with the bridge exactly like the real engine, so the tests exercise the
same derivation of servicer and routes; its handlers are deliberately simple and can be
told to fail, block or raise a chosen error.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

from bridge.context import CallContext
from bridge.errors import BridgeError, ErrorInfo, FailedPrecondition, NotFound, PermissionDenied
from bridge.service import ServiceDefinition, delete, get, patch, post
from contract import models as m
from contract.binding import converter, model_for
from contract.engine.v1 import engine_pb2


@dataclass
class ToyWorkflows:
    """Workflows in a dict, scoped by user; knobs for the tests."""

    workflows: dict[tuple[str, str], m.Workflow] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    block: asyncio.Event | None = None
    """When set, ExecuteWorkflow waits for it (in-flight call during shutdown, deadlines)."""
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    raise_on_delete: BridgeError | Exception | None = None
    seen: list[CallContext] = field(default_factory=list)

    async def create(
        self, req: m.CreateWorkflowRequest, ctx: CallContext
    ) -> m.CreateWorkflowResponse:
        self.seen.append(ctx)
        data = req.model_dump(exclude={"user_id", "session_id"}, exclude_unset=True)
        workflow = m.Workflow.model_validate(
            {**data, "id": f"wf_{next(self.ids)}", "created_at": 1, "updated_at": 1, "version": "1"}
        )
        self.workflows[(req.user_id, workflow.id or "")] = workflow
        return m.CreateWorkflowResponse(workflow=workflow, success=True, message="created")

    async def get(self, req: m.GetWorkflowRequest, ctx: CallContext) -> m.GetWorkflowResponse:
        self.seen.append(ctx)
        workflow = self.workflows.get((req.user_id, req.workflow_id))
        if workflow is None:
            raise NotFound(f"workflow {req.workflow_id} not found")
        return m.GetWorkflowResponse(workflow=workflow, found=True)

    async def update(
        self, req: m.UpdateWorkflowRequest, ctx: CallContext
    ) -> m.UpdateWorkflowResponse:
        workflow = self.workflows.get((req.user_id, req.workflow_id))
        if workflow is None:
            raise NotFound(f"workflow {req.workflow_id} not found")
        if req.expected_version is not None and req.expected_version != workflow.version:
            raise FailedPrecondition(
                f"version is {workflow.version}, not {req.expected_version}",
                info=ErrorInfo("VERSION_MISMATCH", {"current": workflow.version}),
                http_status=412,
            )
        changes = req.model_dump(
            exclude={"workflow_id", "user_id", "session_id", "expected_version"}, exclude_none=True
        )
        updated = workflow.model_copy(update={**changes, "version": str(int(workflow.version) + 1)})
        self.workflows[(req.user_id, req.workflow_id)] = updated
        return m.UpdateWorkflowResponse(workflow=updated, success=True)

    async def delete(
        self, req: m.DeleteWorkflowRequest, ctx: CallContext
    ) -> m.DeleteWorkflowResponse:
        if self.raise_on_delete is not None:
            raise self.raise_on_delete
        if self.workflows.pop((req.user_id, req.workflow_id), None) is None:
            raise NotFound(f"workflow {req.workflow_id} not found")
        return m.DeleteWorkflowResponse(success=True)

    async def list(self, req: m.ListWorkflowsRequest, ctx: CallContext) -> m.ListWorkflowsResponse:
        mine = [w for (user, _), w in sorted(self.workflows.items()) if user == req.user_id]
        if req.active_only:
            mine = [w for w in mine if w.active]
        mine = [w for w in mine if set(req.tags) <= set(w.tags)]
        page = mine[req.offset : req.offset + req.limit]
        return m.ListWorkflowsResponse(
            workflows=page, total_count=len(mine), has_more=req.offset + len(page) < len(mine)
        )

    async def execute(
        self, req: m.ExecuteWorkflowRequest, ctx: CallContext
    ) -> m.ExecuteWorkflowResponse:
        self.seen.append(ctx)
        if (req.user_id, req.workflow_id) not in self.workflows:
            raise NotFound(f"workflow {req.workflow_id} not found")
        if self.block is not None:
            self.entered.set()
            await self.block.wait()
        return m.ExecuteWorkflowResponse(
            execution_id=f"ex_{next(self.ids)}", status=m.ExecutionStatus.NEW, success=True
        )

    async def forbidden(self, req: object, ctx: CallContext) -> m.GetExecutionResponse:
        raise PermissionDenied("executions are not part of the toy")


def toy_service(state: ToyWorkflows) -> ServiceDefinition:
    service = ServiceDefinition(
        engine_pb2.DESCRIPTOR.services_by_name["WorkflowService"],
        converter=converter(),
        model_for=model_for,
    )
    service.unary("CreateWorkflow", state.create, http=post("/v1/workflows", status=201))
    service.unary("GetWorkflow", state.get, http=get("/v1/workflows/{workflow_id}"))
    service.unary("UpdateWorkflow", state.update, http=patch("/v1/workflows/{workflow_id}"))
    service.unary("DeleteWorkflow", state.delete, http=delete("/v1/workflows/{workflow_id}"))
    service.unary("ListWorkflows", state.list, http=get("/v1/workflows"))
    service.unary(
        "ExecuteWorkflow", state.execute, http=post("/v1/workflows/{workflow_id}/execute")
    )
    service.unary("GetExecution", state.forbidden, http=get("/v1/executions/{execution_id}"))
    service.unary("ListExecutions", state.forbidden, http=get("/v1/executions"))
    service.unary(
        "CancelExecution", state.forbidden, http=post("/v1/executions/{execution_id}/cancel")
    )
    return service
