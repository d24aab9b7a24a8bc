"""Typed clients of the engine: one method per RPC, Pydantic in and out, any transport."""

from __future__ import annotations

from contract import models as m
from contract.engine.v1 import engine_pb2
from gateway.clients._base import CallOptions
from gateway.clients._client import ServiceClient

Options = CallOptions | None


class WorkflowClient(ServiceClient):
    descriptor = engine_pb2.DESCRIPTOR.services_by_name["WorkflowService"]

    async def create_workflow(
        self, request: m.CreateWorkflowRequest, options: Options = None
    ) -> m.CreateWorkflowResponse:
        return await self._call("CreateWorkflow", request, options, m.CreateWorkflowResponse)

    async def get_workflow(
        self, request: m.GetWorkflowRequest, options: Options = None
    ) -> m.GetWorkflowResponse:
        return await self._call("GetWorkflow", request, options, m.GetWorkflowResponse)

    async def update_workflow(
        self, request: m.UpdateWorkflowRequest, options: Options = None
    ) -> m.UpdateWorkflowResponse:
        return await self._call("UpdateWorkflow", request, options, m.UpdateWorkflowResponse)

    async def delete_workflow(
        self, request: m.DeleteWorkflowRequest, options: Options = None
    ) -> m.DeleteWorkflowResponse:
        return await self._call("DeleteWorkflow", request, options, m.DeleteWorkflowResponse)

    async def list_workflows(
        self, request: m.ListWorkflowsRequest, options: Options = None
    ) -> m.ListWorkflowsResponse:
        return await self._call("ListWorkflows", request, options, m.ListWorkflowsResponse)

    async def execute_workflow(
        self, request: m.ExecuteWorkflowRequest, options: Options = None
    ) -> m.ExecuteWorkflowResponse:
        return await self._call("ExecuteWorkflow", request, options, m.ExecuteWorkflowResponse)

    async def get_execution(
        self, request: m.GetExecutionRequest, options: Options = None
    ) -> m.GetExecutionResponse:
        return await self._call("GetExecution", request, options, m.GetExecutionResponse)

    async def list_executions(
        self, request: m.ListExecutionsRequest, options: Options = None
    ) -> m.ListExecutionsResponse:
        return await self._call("ListExecutions", request, options, m.ListExecutionsResponse)

    async def cancel_execution(
        self, request: m.CancelExecutionRequest, options: Options = None
    ) -> m.CancelExecutionResponse:
        return await self._call("CancelExecution", request, options, m.CancelExecutionResponse)


class TriggerClient(ServiceClient):
    descriptor = engine_pb2.DESCRIPTOR.services_by_name["TriggerService"]

    async def create_trigger(
        self, request: m.CreateTriggerRequest, options: Options = None
    ) -> m.CreateTriggerResponse:
        return await self._call("CreateTrigger", request, options, m.CreateTriggerResponse)

    async def get_trigger(
        self, request: m.GetTriggerRequest, options: Options = None
    ) -> m.GetTriggerResponse:
        return await self._call("GetTrigger", request, options, m.GetTriggerResponse)

    async def list_triggers(
        self, request: m.ListTriggersRequest, options: Options = None
    ) -> m.ListTriggersResponse:
        return await self._call("ListTriggers", request, options, m.ListTriggersResponse)

    async def delete_trigger(
        self, request: m.DeleteTriggerRequest, options: Options = None
    ) -> m.DeleteTriggerResponse:
        return await self._call("DeleteTrigger", request, options, m.DeleteTriggerResponse)

    async def fire_trigger(
        self, request: m.FireTriggerRequest, options: Options = None
    ) -> m.FireTriggerResponse:
        return await self._call("FireTrigger", request, options, m.FireTriggerResponse)

    async def fire_webhook(
        self, request: m.FireWebhookRequest, options: Options = None
    ) -> m.FireWebhookResponse:
        return await self._call("FireWebhook", request, options, m.FireWebhookResponse)

    async def list_trigger_events(
        self, request: m.ListTriggerEventsRequest, options: Options = None
    ) -> m.ListTriggerEventsResponse:
        return await self._call("ListTriggerEvents", request, options, m.ListTriggerEventsResponse)
