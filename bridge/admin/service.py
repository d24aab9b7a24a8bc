"""The admin service, declared with the bridge itself: GET/POST /admin/listeners on HTTP,
bridge.admin.v1.BridgeAdmin on gRPC. Protected by SERVICE_TOKEN like every API call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from google.protobuf.message import Message
from pydantic import BaseModel

from bridge.admin import models
from bridge.admin.v1 import admin_pb2
from bridge.context import CallContext
from bridge.converter import Converter
from bridge.service import ServiceDefinition, get, post

SERVICE_NAME = "bridge.admin.v1.BridgeAdmin"

ListListeners = Callable[[], Sequence[models.Listener]]
SetListener = Callable[[models.Protocol, bool, CallContext], Awaitable[None]]


def _model_for(message: type[Message]) -> type[BaseModel]:
    model: type[BaseModel] = getattr(models, message.DESCRIPTOR.name)
    return model


def admin_service(list_listeners: ListListeners, set_listener: SetListener) -> ServiceDefinition:
    service = ServiceDefinition(
        admin_pb2.DESCRIPTOR.services_by_name["BridgeAdmin"],
        converter=Converter(),
        model_for=_model_for,
    )

    async def get_listeners(
        request: models.GetListenersRequest, ctx: CallContext
    ) -> models.GetListenersResponse:
        return models.GetListenersResponse(listeners=list(list_listeners()))

    async def set_listener_handler(
        request: models.SetListenerRequest, ctx: CallContext
    ) -> models.SetListenerResponse:
        await set_listener(request.protocol, request.enabled, ctx)
        return models.SetListenerResponse(listeners=list(list_listeners()))

    service.unary("GetListeners", get_listeners, http=get("/admin/listeners"))
    service.unary("SetListener", set_listener_handler, http=post("/admin/listeners"))
    return service
