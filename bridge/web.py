"""HTTP helpers for apps built beside the bridge (e.g. a gateway): the same error envelope
and the same bounded JSON body reading as the bridge's own routes."""

from bridge._http_adapter import (
    EventStreamResponse,
    RequestFields,
    error_response,
    install_error_handlers,
    install_openapi,
    read_json_body,
)
from bridge._http_adapter import _events as sse_events

__all__ = [
    "EventStreamResponse",
    "RequestFields",
    "error_response",
    "install_error_handlers",
    "install_openapi",
    "read_json_body",
    "sse_events",
]
