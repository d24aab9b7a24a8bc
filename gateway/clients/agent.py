"""Typed client of the workflow agent: one method per RPC, Pydantic in and out."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from contract import models as m
from contract.agent.v1 import agent_pb2
from gateway.clients._base import CallOptions
from gateway.clients._client import ServiceClient

Options = CallOptions | None


class AgentClient(ServiceClient):
    descriptor = agent_pb2.DESCRIPTOR.services_by_name["WorkflowAgent"]

    async def generate_workflow(
        self, request: m.GenerateWorkflowRequest, options: Options = None
    ) -> m.GenerateWorkflowResponse:
        return await self._call("GenerateWorkflow", request, options, m.GenerateWorkflowResponse)

    async def refine_workflow(
        self, request: m.RefineWorkflowRequest, options: Options = None
    ) -> m.RefineWorkflowResponse:
        return await self._call("RefineWorkflow", request, options, m.RefineWorkflowResponse)

    async def validate_workflow(
        self, request: m.ValidateWorkflowRequest, options: Options = None
    ) -> m.ValidateWorkflowResponse:
        return await self._call("ValidateWorkflow", request, options, m.ValidateWorkflowResponse)


class ConversationClient(ServiceClient):
    descriptor = agent_pb2.DESCRIPTOR.services_by_name["ConversationService"]

    def process_conversation(
        self, request: m.ProcessConversationRequest, options: Options = None
    ) -> AsyncGenerator[m.ProcessConversationResponse, None]:
        """One turn, as the events arrive (close the generator to stop early)."""
        return self._stream("ProcessConversation", request, options, m.ProcessConversationResponse)
