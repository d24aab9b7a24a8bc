"""The base class and shared field types of every contract model."""

from __future__ import annotations

import time
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

MAX_LIST_LIMIT = 500
"""Largest page a list call may ask for."""


class ContractModel(BaseModel):
    """Base of every model on the wire.

    Unknown fields are rejected (with their name) instead of ignored: a client that sends
    ``connections.connections`` or misspells a field hears about it at once.
    """

    model_config = ConfigDict(extra="forbid", frozen=False, use_enum_values=False)


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
"""A display name: trimmed, non-blank, at most 255 characters."""

Description = Annotated[str, Field(max_length=1000)]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=128)]
"""A record id (workflow, node, execution, trigger...)."""

UserId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
EpochMillis = Annotated[int, Field(ge=0, le=2**63 - 1)]
"""A point in time as Unix epoch milliseconds."""


def now_ms() -> int:
    """The current time as an EpochMillis."""
    return int(time.time() * 1000)


Limit = Annotated[int, Field(ge=1, le=MAX_LIST_LIMIT)]
Offset = Annotated[int, Field(ge=0, le=2**31 - 1)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Tags = Annotated[list[Tag], Field(max_length=50)]
StringMap = dict[str, str]
