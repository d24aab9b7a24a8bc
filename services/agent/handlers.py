"""WorkflowAgent: generate, refine and validate, declared once for both protocols."""

from __future__ import annotations

from bridge.context import CallContext
from bridge.service import ServiceDefinition
from contract import models as m
from contract.agent.v1 import agent_pb2
from contract.binding import converter, model_for
from contract.routes import route
from services.agent.graph import AgentGraph
from services.agent.validation import validate_workflow


class AgentHandlers:
    def __init__(self, graph: AgentGraph) -> None:
        self.graph = graph

    async def generate(
        self, req: m.GenerateWorkflowRequest, ctx: CallContext
    ) -> m.GenerateWorkflowResponse:
        result = await self.graph.generate(req.description, req.context, req.user_preferences)
        return m.GenerateWorkflowResponse.model_validate(result)

    async def refine(
        self, req: m.RefineWorkflowRequest, ctx: CallContext
    ) -> m.RefineWorkflowResponse:
        original = req.original_workflow
        if original.id is None:
            original = original.model_copy(update={"id": req.workflow_id})
        result = await self.graph.refine(original, req.feedback)
        return m.RefineWorkflowResponse.model_validate(result)

    async def validate(
        self, req: m.ValidateWorkflowRequest, ctx: CallContext
    ) -> m.ValidateWorkflowResponse:
        report = validate_workflow(req.workflow_data)
        return m.ValidateWorkflowResponse(
            valid=report.valid, errors=report.errors, warnings=report.warnings
        )


def agent_service(handlers: AgentHandlers) -> ServiceDefinition:
    service = ServiceDefinition(
        agent_pb2.DESCRIPTOR.services_by_name["WorkflowAgent"],
        converter=converter(),
        model_for=model_for,
    )
    service.declare(
        {
            "GenerateWorkflow": handlers.generate,
            "ValidateWorkflow": handlers.validate,
            "RefineWorkflow": handlers.refine,
        },
        routes=route,
    )
    return service
