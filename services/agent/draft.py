"""The draft: what a provider proposes (a flat list of nodes and edges), and how it
becomes a contract Workflow (ids kept, positions laid out, the rest from defaults or
from the workflow being refined).

Providers answer in this small shape rather than the full Workflow because it is what a
model can produce reliably; everything mechanical (positions, the connections map,
settings) is done here, deterministically.
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from contract.models import Workflow
from services.catalog import CATALOG, canonical

X_STEP, Y_STEP = 250.0, 150.0


class DraftRetry(BaseModel):
    model_config = ConfigDict(extra="ignore")
    max_tries: Annotated[int, Field(ge=1, le=10)] = 3
    wait_between_tries: Annotated[int, Field(ge=1, le=300)] = 5


class DraftNode(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, Field(min_length=1, max_length=128)]
    name: Annotated[str, Field(min_length=1, max_length=255)]
    type: Annotated[str, Field(min_length=1, max_length=64)]
    subtype: str | None = None
    parameters: dict[str, str] = Field(default_factory=dict)
    disabled: bool = False
    on_error: Annotated[str, Field(pattern=r"^(continue|stop)$")] = "continue"
    retry_policy: DraftRetry | None = None

    @field_validator("type", "subtype", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        # Models write "http_request" or "Http Request" as often as HTTP_REQUEST.
        if isinstance(value, str):
            value = value.strip().upper().replace(" ", "_").replace("-", "_") or None
        return value

    @field_validator("parameters", mode="before")
    @classmethod
    def _stringify(cls, value: object) -> object:
        # Parameters are strings on the wire; models like to send numbers and booleans.
        if isinstance(value, Mapping):
            return {
                str(k): v if isinstance(v, str) else _json_text(v)
                for k, v in value.items()
                if v is not None
            }
        return value


class DraftEdge(BaseModel):
    model_config = ConfigDict(extra="ignore")

    source: Annotated[str, Field(min_length=1)]
    target: Annotated[str, Field(min_length=1)]
    type: Annotated[str, Field(pattern=r"^(main|true|false)$")] = "main"


class Draft(BaseModel):
    """A proposed workflow. ``missing_info`` lists what must be asked rather than guessed."""

    model_config = ConfigDict(extra="ignore")

    name: Annotated[str, Field(min_length=1, max_length=255)]
    description: Annotated[str, Field(max_length=1000)] = ""
    nodes: Annotated[list[DraftNode], Field(min_length=1, max_length=1000)]
    connections: list[DraftEdge] = Field(default_factory=list)
    timezone: str | None = None
    missing_info: list[str] = Field(default_factory=list)
    suggestions: list[str] = Field(default_factory=list)
    confidence: Annotated[float, Field(ge=0.0, le=1.0)] = 0.5


def draft_schema() -> dict[str, Any]:
    """The JSON Schema providers are asked to follow (node types from the catalog)."""
    schema = Draft.model_json_schema()
    schema["$defs"]["DraftNode"]["properties"]["type"]["enum"] = sorted(CATALOG)
    return schema


def parse_draft(data: Mapping[str, Any]) -> tuple[Draft | None, list[str]]:
    """The draft, or the reasons it is not one (as ``path: message`` lines)."""
    try:
        return Draft.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            path = ".".join(str(p) for p in err["loc"]) or "draft"
            problems.append(f"draft.{path}: {err['msg']}")
        return None, problems


def _json_text(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, bool) else str(value).lower()


def build_workflow(draft: Draft, *, base: Workflow | None = None) -> dict[str, Any]:
    """The draft as workflow JSON (the HTTP/Pydantic shape). With ``base`` (refinement),
    nodes that keep their id keep their position, credentials and notes, and the
    workflow keeps its id, settings, tags and other fields."""
    previous = {node.id: node for node in base.nodes} if base is not None else {}
    connections: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for edge in draft.connections:
        by_type = connections.setdefault(edge.source, {})
        by_type.setdefault(edge.type, []).append(
            {"node": edge.target, "type": edge.type, "index": 0}
        )
    positions = _layout([n.id for n in draft.nodes], draft.connections)
    nodes: list[dict[str, Any]] = []
    for node in draft.nodes:
        old = previous.get(node.id)
        entry: dict[str, Any] = {
            "id": node.id,
            "name": node.name,
            "type": canonical(node.type),
            "parameters": dict(node.parameters),
            "position": old.position.model_dump() if old is not None else positions[node.id],
            "disabled": node.disabled,
            "on_error": node.on_error,
        }
        if node.subtype:
            entry["subtype"] = node.subtype
        if node.retry_policy is not None:
            entry["retry_policy"] = node.retry_policy.model_dump()
        if old is not None:
            entry["credentials"] = dict(old.credentials)
            entry["notes"] = dict(old.notes)
            entry["webhooks"] = list(old.webhooks)
            entry["type_version"] = old.type_version
        nodes.append(entry)
    workflow = base.model_dump(mode="json", exclude_none=True) if base is not None else {}
    workflow.update(name=draft.name, nodes=nodes, connections=connections)
    if draft.description:
        workflow["description"] = draft.description[:1000]
    if draft.timezone:
        settings = dict(workflow.get("settings") or {})
        settings["timezone"] = {**dict(settings.get("timezone") or {}), "name": draft.timezone}
        workflow["settings"] = settings
    return workflow


def draft_of(workflow: Workflow) -> Draft:
    """A workflow as a draft (what a refinement starts from)."""
    edges = [
        DraftEdge(
            source=source, target=edge.node, type=kind if kind in {"true", "false"} else "main"
        )
        for source, by_type in workflow.connections.items()
        for kind, targets in by_type.items()
        for edge in targets
    ]
    return Draft(
        name=workflow.name,
        description=workflow.description or "",
        nodes=[
            DraftNode(
                id=n.id,
                name=n.name,
                type=n.type,
                subtype=n.subtype,
                parameters=dict(n.parameters),
                disabled=n.disabled,
                on_error=n.on_error.value,
                retry_policy=DraftRetry(**n.retry_policy.model_dump()) if n.retry_policy else None,
            )
            for n in workflow.nodes
        ],
        connections=edges,
        timezone=workflow.settings.timezone.get("name"),
    )


def _layout(ids: Sequence[str], edges: Sequence[DraftEdge]) -> dict[str, dict[str, float]]:
    """Left to right by depth from the roots; rows in declaration order."""
    children: dict[str, list[str]] = defaultdict(list)
    indegree = dict.fromkeys(ids, 0)
    for edge in edges:
        if edge.source in indegree and edge.target in indegree:
            children[edge.source].append(edge.target)
            indegree[edge.target] += 1
    depth = {node_id: 0 for node_id, count in indegree.items() if count == 0}
    queue = deque(depth)
    seen = set(depth)
    while queue:
        node_id = queue.popleft()
        for child in children[node_id]:
            if child not in seen:
                seen.add(child)
                depth[child] = depth[node_id] + 1
                queue.append(child)
    rows: dict[int, int] = defaultdict(int)
    positions: dict[str, dict[str, float]] = {}
    for node_id in ids:
        column = depth.get(node_id, 0)
        positions[node_id] = {"x": column * X_STEP, "y": rows[column] * Y_STEP}
        rows[column] += 1
    return positions
