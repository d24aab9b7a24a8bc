"""TriggerService: triggers and their firings, declared once for both protocols."""

from __future__ import annotations

from typing import Any

from bridge.context import CallContext
from bridge.errors import ErrorInfo, FailedPrecondition, NotFound
from bridge.service import Handler, ServiceDefinition
from contract import models as m
from contract.binding import converter, model_for
from contract.engine.v1 import engine_pb2
from contract.models import now_ms
from contract.routes import route
from services.engine.idempotency import once
from services.engine.runs import ExecutionManager
from services.engine.storage import EngineStore
from services.engine.validation import check_trigger_config

MODE_BY_TYPE = {
    m.TriggerType.MANUAL: m.ExecutionMode.MANUAL,
    m.TriggerType.WEBHOOK: m.ExecutionMode.WEBHOOK,
    m.TriggerType.CRON: m.ExecutionMode.CRON,
}


class TriggerHandlers:
    def __init__(self, store: EngineStore, runs: ExecutionManager) -> None:
        self.store = store
        self.runs = runs

    async def create(
        self, req: m.CreateTriggerRequest, ctx: CallContext
    ) -> m.CreateTriggerResponse:
        check_trigger_config(req.type, req.config)

        async def write() -> m.CreateTriggerResponse:
            trigger = await self.store.create_trigger(
                req.user_id,
                m.Trigger(
                    id="new",
                    workflow_id=req.workflow_id,
                    type=req.type,
                    config=req.config,
                    active=req.active,
                ),
            )
            if trigger is None:
                raise NotFound(f"workflow {req.workflow_id!r} not found")
            return m.CreateTriggerResponse(trigger=trigger)

        return await once(self.store, ctx, req.user_id, m.CreateTriggerResponse, write)

    async def get(self, req: m.GetTriggerRequest, ctx: CallContext) -> m.GetTriggerResponse:
        return m.GetTriggerResponse(trigger=await self._trigger(req.user_id, req.trigger_id))

    async def list(self, req: m.ListTriggersRequest, ctx: CallContext) -> m.ListTriggersResponse:
        triggers, total = await self.store.list_triggers(
            req.user_id, workflow_id=req.workflow_id, limit=req.limit, offset=req.offset
        )
        return m.ListTriggersResponse(
            triggers=triggers, total_count=total, has_more=req.offset + len(triggers) < total
        )

    async def delete(
        self, req: m.DeleteTriggerRequest, ctx: CallContext
    ) -> m.DeleteTriggerResponse:
        async def write() -> m.DeleteTriggerResponse:
            if not await self.store.delete_trigger(req.user_id, req.trigger_id):
                raise NotFound(f"trigger {req.trigger_id!r} not found")
            return m.DeleteTriggerResponse(success=True, message="deleted")

        return await once(self.store, ctx, req.user_id, m.DeleteTriggerResponse, write)

    async def fire(self, req: m.FireTriggerRequest, ctx: CallContext) -> m.FireTriggerResponse:
        trigger = await self._trigger(req.user_id, req.trigger_id)

        async def write() -> m.FireTriggerResponse:
            return await self.fire_trigger(req.user_id, trigger, req.payload)

        return await once(self.store, ctx, req.user_id, m.FireTriggerResponse, write)

    async def fire_trigger(
        self, user_id: str, trigger: m.Trigger, payload: dict[str, Any]
    ) -> m.FireTriggerResponse:
        """Start the trigger's workflow and record the firing (also used by the scheduler)."""
        if not trigger.active:
            raise FailedPrecondition(
                f"trigger {trigger.id!r} is not active", info=ErrorInfo("TRIGGER_INACTIVE")
            )
        workflow = await self.store.get_workflow(user_id, trigger.workflow_id)
        if workflow is None:
            raise NotFound(f"workflow {trigger.workflow_id!r} not found")
        if not workflow.active:
            raise FailedPrecondition(
                f"workflow {workflow.id!r} is not active", info=ErrorInfo("WORKFLOW_INACTIVE")
            )
        execution = await self.runs.start(
            user_id,
            workflow,
            mode=MODE_BY_TYPE[trigger.type],
            trigger_data=payload,
            trigger_id=trigger.id,
        )
        event = await self.store.add_trigger_event(
            user_id,
            m.TriggerEvent(
                id="new",
                trigger_id=trigger.id,
                workflow_id=trigger.workflow_id,
                payload=payload,
                execution_id=execution.id,
                received_at=now_ms(),
            ),
        )
        return m.FireTriggerResponse(execution_id=execution.id, event=event)

    async def fire_webhook(
        self, req: m.FireWebhookRequest, ctx: CallContext
    ) -> m.FireWebhookResponse:
        found = await self.store.find_trigger(req.trigger_id)
        # Anything but an active webhook trigger answers like a missing one: the id is the
        # caller's only credential, so nothing about other triggers may leak.
        if found is None or found[1].type is not m.TriggerType.WEBHOOK:
            raise NotFound(f"webhook {req.trigger_id!r} not found")
        user_id, trigger = found
        fired = await once(
            self.store, ctx, user_id, m.FireTriggerResponse,
            lambda: self.fire_trigger(user_id, trigger, req.payload),
        )  # fmt: skip
        return m.FireWebhookResponse(execution_id=fired.execution_id, event=fired.event)

    async def list_events(
        self, req: m.ListTriggerEventsRequest, ctx: CallContext
    ) -> m.ListTriggerEventsResponse:
        await self._trigger(req.user_id, req.trigger_id)
        events, total = await self.store.list_trigger_events(
            req.user_id, req.trigger_id, limit=req.limit, offset=req.offset
        )
        return m.ListTriggerEventsResponse(
            events=events, total_count=total, has_more=req.offset + len(events) < total
        )

    async def _trigger(self, user_id: str, trigger_id: str) -> m.Trigger:
        trigger = await self.store.get_trigger(user_id, trigger_id)
        if trigger is None:
            raise NotFound(f"trigger {trigger_id!r} not found")
        return trigger


def trigger_service(handlers: TriggerHandlers) -> ServiceDefinition:
    service = ServiceDefinition(
        engine_pb2.DESCRIPTOR.services_by_name["TriggerService"],
        converter=converter(),
        model_for=model_for,
    )
    h = handlers
    rpcs: dict[str, Handler] = {
        "CreateTrigger": h.create,
        "GetTrigger": h.get,
        "ListTriggers": h.list,
        "DeleteTrigger": h.delete,
        "FireTrigger": h.fire,
        "ListTriggerEvents": h.list_events,
        "FireWebhook": h.fire_webhook,
    }
    service.declare(rpcs, routes=route)
    return service
