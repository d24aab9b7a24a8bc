"""Typed service clients over pluggable transports (gRPC or HTTP, same answers and errors)."""

from gateway.clients._base import CallOptions, Method, Transport
from gateway.clients._client import ServiceClient
from gateway.clients._grpc import GrpcTransport
from gateway.clients._http import HttpTransport
from gateway.clients._mounts import MountedTransport
from gateway.clients.agent import AgentClient, ConversationClient
from gateway.clients.engine import TriggerClient, WorkflowClient

__all__ = [
    "AgentClient",
    "CallOptions",
    "ConversationClient",
    "GrpcTransport",
    "HttpTransport",
    "Method",
    "MountedTransport",
    "ServiceClient",
    "Transport",
    "TriggerClient",
    "WorkflowClient",
]
