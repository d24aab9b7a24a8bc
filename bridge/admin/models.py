"""Pydantic side of bridge/admin/v1/admin.proto."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Protocol(StrEnum):
    GRPC = "grpc"
    HTTP = "http"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Listener(_Model):
    protocol: Protocol
    enabled: bool = False
    address: str = ""


class GetListenersRequest(_Model):
    pass


class GetListenersResponse(_Model):
    listeners: list[Listener] = Field(default_factory=list)


class SetListenerRequest(_Model):
    protocol: Protocol
    enabled: bool = False


class SetListenerResponse(_Model):
    listeners: list[Listener] = Field(default_factory=list)
