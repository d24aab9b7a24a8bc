"""WorkflowService: workflow CRUD and executions, declared once for both protocols."""

from __future__ import annotations

from typing import Any

from bridge.context import CallContext
from bridge.converter import ConversionError
from bridge.errors import ErrorInfo, FailedPrecondition, InvalidArgument, NotFound
from bridge.service import Handler, ServiceDefinition
from contract import models as m
from contract.binding import converter, model_for
from contract.engine.v1 import engine_pb2
from contract.routes import route
from services.engine.idempotency import once
from services.engine.runs import ExecutionManager
from services.engine.storage import EngineStore, VersionConflict
from services.engine.validation import check_runnable

FINAL = {
    m.ExecutionStatus.SUCCESS,
    m.ExecutionStatus.ERROR,
    m.ExecutionStatus.CANCELED,
    m.ExecutionStatus.TIMED_OUT,
}
_UPDATABLE = (
    "name",
    "description",
    "nodes",
    "connections",
    "settings",
    "static_data",
    "pin_data",
    "tags",
    "active",
)


def _not_found(kind: str, ident: str) -> NotFound:
    # The same answer for "absent" and "another user's": ids must not leak.
    return NotFound(f"{kind} {ident!r} not found")


def without_credentials(workflow: m.Workflow) -> m.Workflow:
    """Credential references stay out of list responses."""
    if not any(n.credentials for n in workflow.nodes):
        return workflow
    nodes = [
        n.model_copy(update={"credentials": {}}) if n.credentials else n for n in workflow.nodes
    ]
    return workflow.model_copy(update={"nodes": nodes})


class WorkflowHandlers:
    def __init__(self, store: EngineStore, runs: ExecutionManager) -> None:
        self.store = store
        self.runs = runs

    async def create(
        self, req: m.CreateWorkflowRequest, ctx: CallContext
    ) -> m.CreateWorkflowResponse:
        check_runnable(req.nodes)

        async def write() -> m.CreateWorkflowResponse:
            data = req.model_dump(exclude={"user_id", "session_id"}, exclude_none=True)
            workflow = await self.store.create_workflow(
                req.user_id, m.Workflow.model_validate(data)
            )
            return m.CreateWorkflowResponse(workflow=workflow, success=True, message="created")

        return await once(self.store, ctx, req.user_id, m.CreateWorkflowResponse, write)

    async def get(self, req: m.GetWorkflowRequest, ctx: CallContext) -> m.GetWorkflowResponse:
        workflow = await self.store.get_workflow(req.user_id, req.workflow_id)
        if workflow is None:
            raise _not_found("workflow", req.workflow_id)
        return m.GetWorkflowResponse(workflow=workflow, found=True)

    async def update(
        self, req: m.UpdateWorkflowRequest, ctx: CallContext
    ) -> m.UpdateWorkflowResponse:
        changes: dict[str, Any] = {
            name: getattr(req, name) for name in _UPDATABLE if getattr(req, name) is not None
        }
        current = await self.store.get_workflow(req.user_id, req.workflow_id)
        if current is None:
            raise _not_found("workflow", req.workflow_id)
        if "nodes" in changes:
            check_runnable(req.nodes or [])
        # The result must be a valid workflow as a whole (e.g. new edges need their nodes).
        merged = {
            **current.model_dump(),
            **{k: v for k, v in req.model_dump().items() if k in changes},
        }
        try:
            converter().validate(m.Workflow, merged)
        except ConversionError as exc:
            raise InvalidArgument.from_conversion(exc) from None

        async def write() -> m.UpdateWorkflowResponse:
            try:
                workflow = await self.store.update_workflow(
                    req.user_id, req.workflow_id, changes, req.expected_version
                )
            except VersionConflict as conflict:
                raise FailedPrecondition(
                    f"workflow {req.workflow_id!r} is at version {conflict.current_version}, "
                    f"not {req.expected_version}",
                    info=ErrorInfo(
                        "VERSION_MISMATCH", {"current_version": conflict.current_version}
                    ),
                    http_status=412,
                ) from None
            if workflow is None:
                raise _not_found("workflow", req.workflow_id)
            return m.UpdateWorkflowResponse(workflow=workflow, success=True, message="updated")

        return await once(self.store, ctx, req.user_id, m.UpdateWorkflowResponse, write)

    async def delete(
        self, req: m.DeleteWorkflowRequest, ctx: CallContext
    ) -> m.DeleteWorkflowResponse:
        async def write() -> m.DeleteWorkflowResponse:
            if not await self.store.delete_workflow(req.user_id, req.workflow_id):
                raise _not_found("workflow", req.workflow_id)
            return m.DeleteWorkflowResponse(success=True, message="deleted")

        return await once(self.store, ctx, req.user_id, m.DeleteWorkflowResponse, write)

    async def list(self, req: m.ListWorkflowsRequest, ctx: CallContext) -> m.ListWorkflowsResponse:
        workflows, total = await self.store.list_workflows(
            req.user_id,
            active_only=req.active_only,
            tags=req.tags,
            limit=req.limit,
            offset=req.offset,
        )
        return m.ListWorkflowsResponse(
            workflows=[without_credentials(w) for w in workflows],
            total_count=total,
            has_more=req.offset + len(workflows) < total,
        )

    async def execute(
        self, req: m.ExecuteWorkflowRequest, ctx: CallContext
    ) -> m.ExecuteWorkflowResponse:
        workflow = await self.store.get_workflow(req.user_id, req.workflow_id)
        if workflow is None:
            raise _not_found("workflow", req.workflow_id)

        async def write() -> m.ExecuteWorkflowResponse:
            execution = await self.runs.start(
                req.user_id, workflow, mode=m.ExecutionMode.MANUAL, trigger_data=req.trigger_data
            )
            return m.ExecuteWorkflowResponse(
                execution_id=execution.id,
                status=execution.status,
                success=True,
                message="execution started",
            )

        return await once(self.store, ctx, req.user_id, m.ExecuteWorkflowResponse, write)

    async def get_execution(
        self, req: m.GetExecutionRequest, ctx: CallContext
    ) -> m.GetExecutionResponse:
        execution = await self.store.get_execution(req.user_id, req.execution_id)
        if execution is None:
            raise _not_found("execution", req.execution_id)
        return m.GetExecutionResponse(execution=execution)

    async def list_executions(
        self, req: m.ListExecutionsRequest, ctx: CallContext
    ) -> m.ListExecutionsResponse:
        executions, total = await self.store.list_executions(
            req.user_id,
            workflow_id=req.workflow_id,
            status=req.status,
            limit=req.limit,
            offset=req.offset,
        )
        return m.ListExecutionsResponse(
            executions=executions,
            total_count=total,
            has_more=req.offset + len(executions) < total,
        )

    async def cancel_execution(
        self, req: m.CancelExecutionRequest, ctx: CallContext
    ) -> m.CancelExecutionResponse:
        execution = await self.store.get_execution(req.user_id, req.execution_id)
        if execution is None:
            raise _not_found("execution", req.execution_id)
        if execution.status in FINAL:
            raise FailedPrecondition(
                f"execution {req.execution_id!r} already finished ({execution.status.value})",
                info=ErrorInfo("EXECUTION_FINISHED", {"status": execution.status.value}),
            )
        await self.runs.cancel(req.user_id, req.execution_id)
        execution = await self.store.get_execution(req.user_id, req.execution_id)
        assert execution is not None
        return m.CancelExecutionResponse(execution=execution, success=True, message="canceled")


def workflow_service(handlers: WorkflowHandlers) -> ServiceDefinition:
    service = ServiceDefinition(
        engine_pb2.DESCRIPTOR.services_by_name["WorkflowService"],
        converter=converter(),
        model_for=model_for,
    )
    h = handlers
    rpcs: dict[str, Handler] = {
        "CreateWorkflow": h.create,
        "GetWorkflow": h.get,
        "UpdateWorkflow": h.update,
        "DeleteWorkflow": h.delete,
        "ListWorkflows": h.list,
        "ExecuteWorkflow": h.execute,
        "GetExecution": h.get_execution,
        "ListExecutions": h.list_executions,
        "CancelExecution": h.cancel_execution,
    }
    service.declare(rpcs, routes=route)
    return service


__all__ = ["WorkflowHandlers", "without_credentials", "workflow_service"]
