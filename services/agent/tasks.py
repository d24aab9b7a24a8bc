"""The structured tasks the agent gives a provider: drafting, refinement and repair.

Each task carries the prompt a real model reads (the node catalog, the rules, the
expression language) and the same request as data for the offline provider.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from services.agent.draft import draft_schema
from services.catalog import CATALOG, CONDITION_OPERATORS
from services.llm import StructuredTask

DRAFT = "workflow_draft"
REFINE = "workflow_refine"
REPAIR = "workflow_repair"


@cache
def _catalog_text() -> str:
    lines = []
    for spec in CATALOG.values():
        line = f"- {spec.type}: {spec.description}"
        if spec.subtypes:
            line += f" Subtypes: {', '.join(sorted(spec.subtypes))}."
        if spec.required:
            line += f" Required parameters: {', '.join(spec.required)}."
        for subtype, names in spec.required_by_subtype.items():
            line += f" {subtype} requires: {', '.join(names)}."
        if spec.optional:
            line += " Optional: " + "; ".join(f"{k} ({v})" for k, v in spec.optional.items()) + "."
        if spec.outputs != ("main",):
            line += f" Outgoing edge types: {', '.join(spec.outputs)}."
        lines.append(line)
    return "\n".join(lines)


@cache
def system_prompt() -> str:
    return f"""You design workflows for a workflow-automation engine. Answer only with the
requested JSON object.

Node types (use no others):
{_catalog_text()}

Rules:
- Exactly one TRIGGER node, first, with no incoming edges; every other node reachable from it.
- Node ids are short snake_case strings, unique. Edges go from `source` id to `target` id with
  type "main", or "true"/"false" out of a CONDITION node. No cycles.
- All parameter values are strings. CONDITION operators: {", ".join(sorted(CONDITION_OPERATORS))}.
- Parameters may use expressions over the node's input item: {{{{ $json.field }}}},
  {{{{ $json.body.items }}}} after an HTTP_REQUEST (its output is {{status, headers, body}}),
  {{{{ $json.ai.text }}}} after an AI node. Functions: len, str, int, float, round, abs, min,
  max, bool, lower, upper, json, unique.
- Never invent critical values the user did not give (URLs to call, webhook URLs, e-mail
  addresses, credentials): leave the parameter empty and add a `missing_info` entry of the form
  "<key>: <question>" instead. Values from the request's context may be used.
- `confidence` is your confidence (0..1) that the workflow does what was asked."""


@cache
def _schema() -> dict[str, Any]:
    return draft_schema()


def draft_task(
    description: str, context: Mapping[str, str], preferences: Mapping[str, str]
) -> StructuredTask:
    prompt = (
        f"Design a workflow for this request:\n\n{description}\n\n"
        f"Context values you may use: {json.dumps(dict(context))}\n"
        f"User preferences: {json.dumps(dict(preferences))}"
    )
    return StructuredTask(
        name=DRAFT, system=system_prompt(), prompt=prompt, schema=_schema(),
        inputs={"description": description, "context": dict(context),
                "user_preferences": dict(preferences)},
    )  # fmt: skip


def refine_task(
    workflow: Mapping[str, Any], feedback: str, context: Mapping[str, str] | None = None
) -> StructuredTask:
    prompt = (
        "Here is a workflow as a draft:\n\n"
        f"{json.dumps(workflow, indent=1)}\n\n"
        "Change it according to this feedback, keeping the ids of nodes that stay:\n\n"
        f"{feedback}\n\n"
        "Return the whole updated draft."
    )
    return StructuredTask(
        name=REFINE, system=system_prompt(), prompt=prompt, schema=_schema(),
        inputs={"workflow": dict(workflow), "feedback": feedback, "context": dict(context or {})},
    )  # fmt: skip


def repair_task(
    draft: Mapping[str, Any] | None, errors: Sequence[str], goal: str
) -> StructuredTask:
    prompt = (
        f"This draft was meant to do: {goal}\n\n{json.dumps(draft, indent=1)}\n\n"
        "It fails validation:\n" + "\n".join(f"- {e}" for e in errors) + "\n\n"
        "Return a corrected draft (the whole object)."
    )
    return StructuredTask(
        name=REPAIR, system=system_prompt(), prompt=prompt, schema=_schema(),
        inputs={"draft": dict(draft or {}), "errors": list(errors), "goal": goal},
    )  # fmt: skip
