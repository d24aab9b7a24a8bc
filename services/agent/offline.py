"""The offline provider's solvers: deterministic drafting, refinement and repair.

Registered with ``services.llm.OfflineProvider`` under the agent's task names, so the
agent runs the same graph whatever the provider. Drafts use only catalog node types and
the engine's expression language; a critical value that is not in the description or the
request's ``context`` (a URL to call, a Slack webhook) is asked for in ``missing_info``,
never invented.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.agent import tasks
from services.agent.draft import Draft, DraftEdge, DraftNode, DraftRetry, parse_draft
from services.agent.understanding import Condition, Step, Trigger, classify, understand
from services.catalog import CATALOG, canonical
from services.catalog.graph import reachable
from services.llm import LLMOutputError, OfflineSolver, StructuredTask

CONTEXT_KEYS = {
    "http": "api_url",
    "delete": "delete_api_url",
    "store": "storage_api_url",
    "slack": "slack_webhook_url",
    "email": "email_api_url",
}
"""Where each step kind's URL comes from when the description has none."""

ASK = {
    "api_url": "the URL of the API to call",
    "delete_api_url": "the URL of the API that deletes the records/files (HTTP DELETE)",
    "storage_api_url": "the URL of the API to store the data with (HTTP POST)",
    "slack_webhook_url": "the Slack incoming-webhook URL to post to",
    "email_api_url": "the URL of the e-mail sending API (the catalog has no e-mail node)",
    "email_to": "who should receive the e-mail",
}


def numbered(key: str, count: int) -> str:
    """The context key of the ``count``-th value of one kind asked for (``api_url``,
    ``api_url_2``...): the drafter and the agent's missing-info check name them alike."""
    return key if count == 1 else f"{key}_{count}"


def solvers() -> dict[str, OfflineSolver]:
    return {tasks.DRAFT: solve_draft, tasks.REFINE: solve_refine, tasks.REPAIR: solve_repair}


# -- drafting -----------------------------------------------------------------------------


class _Builder:
    """Accumulates nodes and edges; ids are short and deterministic (``http_1``)."""

    def __init__(self, context: Mapping[str, str], preferences: Mapping[str, str]) -> None:
        self.context = context
        self.preferences = preferences
        self.nodes: list[DraftNode] = []
        self.edges: list[DraftEdge] = []
        self.missing: list[str] = []
        self.suggestions: list[str] = []
        self.counts: dict[str, int] = {}
        self.asked: dict[str, int] = {}

    def new_id(self, prefix: str) -> str:
        taken = {n.id for n in self.nodes}
        n = self.counts.get(prefix, 0)
        while True:
            n += 1
            candidate = f"{prefix}_{n}"
            if candidate not in taken:
                self.counts[prefix] = n
                return candidate

    def add(self, node: DraftNode) -> DraftNode:
        self.nodes.append(node)
        return node

    def connect(self, source: str, target: str, kind: str = "main") -> None:
        self.edges.append(DraftEdge(source=source, target=target, type=kind))

    def value(self, key: str, step_name: str) -> str:
        """A critical value from the context, or "" after asking for it."""
        given = self.context.get(key, "").strip()
        if given:
            return given
        count = self.asked.get(key, 0) + 1
        self.asked[key] = count
        name = numbered(key, count)
        self.missing.append(
            f"{name}: {ASK.get(key, key)} (for step '{step_name}'; send it as context[\"{name}\"])"
        )
        return ""

    def retry(self) -> DraftRetry | None:
        tries = self.preferences.get("retries") or self.preferences.get("max_tries")
        if tries and tries.isdigit():
            return DraftRetry(max_tries=max(1, min(10, int(tries))))
        return None

    @property
    def on_error(self) -> str:
        return "stop" if self.preferences.get("on_error") == "stop" else "continue"


def solve_draft(task: StructuredTask) -> dict[str, Any]:
    description = str(task.inputs.get("description", ""))
    context = _strings(task.inputs.get("context"))
    preferences = _strings(task.inputs.get("user_preferences"))
    return draft_from_description(description, context, preferences).model_dump()


def draft_from_description(
    description: str, context: Mapping[str, str], preferences: Mapping[str, str]
) -> Draft:
    seen = understand(description)
    b = _Builder(context, preferences)
    trigger = b.add(_trigger_node(seen.trigger, description))
    last_data = trigger
    previous = trigger.id
    condition: DraftNode | None = None
    for step in seen.steps:
        if step.branch == "false" and condition is not None:
            node = _step_node(b, step, last_data, seen.emails)
            b.add(node)
            b.connect(condition.id, node.id, "false")
            continue
        if step.guard is not None:
            condition = b.add(_condition_node(b, step.guard, last_data))
            b.connect(previous, condition.id)
            node = b.add(_step_node(b, step, last_data, seen.emails))
            b.connect(condition.id, node.id, "true")
        else:
            if step.unreadable_guard is not None:
                b.missing.append(
                    f"condition: how to decide whether to {step.clause!r} "
                    f"(could not read {step.unreadable_guard!r})"
                )
            condition = None
            node = b.add(_step_node(b, step, last_data, seen.emails))
            b.connect(previous, node.id)
        previous = node.id
        if node.type not in {"WAIT"}:
            last_data = node
    if len(b.nodes) == 1:
        b.missing.append(
            "steps: what should happen when the workflow runs (for example: call an API, "
            "notify Slack, summarize with AI, wait, remove duplicates)"
        )
    b.suggestions.extend(f"Assumed the schedule {a}." for a in seen.trigger.assumed)
    if seen.trigger.unreadable is not None:
        b.missing.append(f"schedule: when should it run? {seen.trigger.unreadable}")
    if seen.trigger.subtype == "WEBHOOK":
        b.suggestions.append(
            "Create a WEBHOOK trigger for this workflow; callers POST JSON to "
            "/api/public/webhooks/<trigger id>."
        )
    if any(n.type == "HTTP_REQUEST" for n in b.nodes) and b.retry() is None:
        b.suggestions.append(
            "Consider a retry policy on the HTTP steps (user_preferences.retries)."
        )
    timezone = seen.timezone or context.get("timezone") or preferences.get("timezone") or None
    if timezone is not None and not _is_zone(timezone):
        b.missing.append(
            f"timezone: {timezone!r} is not a time zone (an IANA name such as Europe/Paris)"
        )
        timezone = None
    confidence = 0.55 + 0.1 * min(len(seen.steps), 3) - 0.15 * len(b.missing)
    return Draft(
        name=(context.get("name") or _name(seen.trigger, b.nodes))[:255],
        description=seen.text[:1000],
        nodes=b.nodes,
        connections=b.edges,
        timezone=timezone,
        missing_info=b.missing,
        suggestions=b.suggestions,
        confidence=round(max(0.1, min(0.9, confidence)), 2),
    )


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _name(trigger: Trigger, nodes: list[DraftNode]) -> str:
    steps = [n.name for n in nodes[1:] if n.type != "CONDITION"]
    return f"{trigger.label}: {', '.join(steps)}" if steps else trigger.label


def _trigger_node(trigger: Trigger, description: str) -> DraftNode:
    parameters: dict[str, str] = {}
    if trigger.subtype == "CRON" and trigger.cron:
        parameters["cron"] = trigger.cron
    if trigger.subtype == "WEBHOOK":
        slug = "-".join(re.findall(r"[a-z0-9]+", description.lower())[:4]) or "incoming"
        parameters["path"] = trigger.path or f"/hooks/{slug}"
        parameters["method"] = "POST"
    return DraftNode(
        id="trigger", name=trigger.label, type="TRIGGER", subtype=trigger.subtype,
        parameters=parameters,
    )  # fmt: skip


def _source(node: DraftNode) -> str:
    """The expression for "the data" a step works on, given the node before it."""
    if node.type == "HTTP_REQUEST":
        return "$json.body"
    if node.type == "AI":
        return "$json.ai.text"
    return "$json"


def _condition_node(b: _Builder, cond: Condition, data: DraftNode) -> DraftNode:
    if cond.field == "status_code":
        left = "{{ $json.status }}"
    elif data.type == "AI":
        left = "{{ $json.ai.text }}"
    elif data.type == "HTTP_REQUEST":
        left = f"{{{{ $json.body.{cond.field} }}}}"
    else:
        left = f"{{{{ $json.{cond.field} }}}}"
    parameters = {"left": left, "operator": cond.operator}
    if cond.operator not in {"is_empty", "is_not_empty"}:
        parameters["right"] = cond.value
    return DraftNode(
        id=b.new_id("condition"), name=f"If {cond.text}"[:255], type="CONDITION",
        parameters=parameters, on_error=b.on_error,
    )  # fmt: skip


def _step_node(b: _Builder, step: Step, data: DraftNode, emails: list[str]) -> DraftNode:
    source = _source(data)
    kind = step.kind
    if kind == "wait":
        seconds = step.seconds or 60
        name = f"Wait {seconds // 60} min" if seconds % 60 == 0 else f"Wait {seconds} s"
        return DraftNode(id=b.new_id("wait"), name=name, type="WAIT",
                         parameters={"seconds": str(seconds)})  # fmt: skip
    if kind == "ai":
        instruction = step.clause[:1].upper() + step.clause[1:]
        prompt = f"{instruction}.\n\n{{{{ {source} }}}}"
        return DraftNode(
            id=b.new_id("ai"), name=_title(step.clause, "AI step"), type="AI",
            parameters={"prompt": prompt}, on_error=b.on_error, retry_policy=b.retry(),
        )  # fmt: skip
    if kind == "dedupe":
        target = "body" if data.type == "HTTP_REQUEST" else "items"
        return DraftNode(
            id=b.new_id("transform"), name="Remove duplicates", type="TRANSFORM",
            parameters={"target": target, "expression": f"{{{{ unique($json.{target}) }}}}"},
            on_error=b.on_error,
        )  # fmt: skip
    if kind == "transform":
        field = re.search(r"\bextract (?:the )?([a-z_][a-z0-9_]*)", step.clause, re.I)
        target = field.group(1).lower() if field else "data"
        expression = f"{{{{ {source}.{target} }}}}" if field else f"{{{{ {source} }}}}"
        if source == "$json" and field:
            expression = f"{{{{ $json.{target} }}}}"
        return DraftNode(
            id=b.new_id("transform"), name=_title(step.clause, "Transform"), type="TRANSFORM",
            parameters={"target": target, "expression": expression}, on_error=b.on_error,
        )  # fmt: skip
    return _http_node(b, step, data, source, emails)


def _http_node(
    b: _Builder, step: Step, data: DraftNode, source: str, emails: list[str]
) -> DraftNode:
    kind = step.kind
    name = {
        "slack": "Notify Slack",
        "email": "Send e-mail",
        "delete": _title(step.clause, "Delete"),
        "store": _title(step.clause, "Store data"),
    }.get(kind) or _title(step.clause, "Call API")
    url = step.url or b.value(CONTEXT_KEYS[kind], name)
    parameters: dict[str, str] = {"url": url}
    verb = step.clause.split()[0].lower() if step.clause else ""
    if kind == "delete":
        parameters["method"] = "DELETE"
    elif kind in {"slack", "email", "store"} or verb in {"post", "send", "forward", "push"}:
        parameters["method"] = "POST"
    elif verb in {"put", "patch"}:
        parameters["method"] = verb.upper()
    else:
        parameters["method"] = "GET"
    text = f'"{name}: " + str({source})'
    if kind == "slack":
        parameters["body"] = f'{{{{ json({{"text": {text}}}) }}}}'
    elif kind == "email":
        to = emails[0] if emails else b.value("email_to", name)
        body = f'json({{"to": "{to}", "subject": "Workflow notification", "text": str({source})}})'
        parameters["body"] = f"{{{{ {body} }}}}"
    elif parameters["method"] in {"POST", "PUT", "PATCH"}:
        # The whole value, JSON-encoded by the engine (its json() cannot encode $json items).
        parameters["body"] = f"{{{{ {source} }}}}"
    if kind in {"slack", "email", "store"} or parameters["method"] != "GET":
        parameters["headers"] = json.dumps({"content-type": "application/json"})
    return DraftNode(
        id=b.new_id("slack" if kind == "slack" else "http"), name=name, type="HTTP_REQUEST",
        parameters=parameters, on_error=b.on_error, retry_policy=b.retry(),
    )  # fmt: skip


def _title(clause: str, fallback: str) -> str:
    words = re.sub(r"https?://(\S+)", lambda m: m.group(1).split("/")[0], clause).split()
    text = " ".join(words[:6]).strip(" .,")
    return (text[:1].upper() + text[1:])[:80] if text else fallback


def _strings(value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    return {}


# -- refinement ---------------------------------------------------------------------------

_RENAME = re.compile(
    r"\b(?:rename|call)\s+(?:it|the workflow|this)(?:\s+to)?\s+['\"]?(?P<name>[^'\"]+?)['\"]?$",
    re.I,
)
_REMOVE = re.compile(
    r"^(?:please\s+)?(?:remove|delete|drop|get rid of|skip)\s+(?:the\s+)?"
    r"(?P<ref>.+?)(?:\s+(?:step|node))?$",
    re.I,
)
_ADD = re.compile(
    r"^(?:please\s+)?(?:add|also|include|append|insert|then)\s+(?:a|an|another)?\s*(?:step\s+(?:to|that)\s+)?",
    re.I,
)
_POSITION = re.compile(
    r"\s+(?P<where>before|after)\s+(?:the\s+)?(?P<ref>[\w -]+?)(?:\s+(?:step|node))?$", re.I
)
_URL_CHANGE = re.compile(
    r"\b(?:change|set|use|switch|point)\b.*?\b(?:url|endpoint|api|it)\b.*?\bto\s+(?P<url>https?://\S+)",
    re.I,
)
_METHOD = re.compile(
    r"\b(?:use|make it|switch to|change (?:the )?method to)\s+"
    r"(?P<method>GET|POST|PUT|PATCH|DELETE)\b",
    re.I,
)
_RETRY = re.compile(r"\bretr(?:y|ies)\b(?:\D*(?P<n>\d+)\s*times)?", re.I)
_STOP = re.compile(r"\bstop (?:on|at) (?:the first )?(?:error|failure)s?\b|\bfail fast\b", re.I)
_DISABLE = re.compile(
    r"^(?P<verb>disable|enable|turn off|turn on)\s+(?:the\s+)?(?P<ref>.+?)(?:\s+(?:step|node))?$",
    re.I,
)


def solve_refine(task: StructuredTask) -> dict[str, Any]:
    current, problems = parse_draft(task.inputs.get("workflow") or {})
    if current is None:
        raise LLMOutputError("offline", "cannot refine: " + "; ".join(problems))
    feedback = " ".join(str(task.inputs.get("feedback", "")).split())
    draft = current.model_copy(deep=True)
    draft.suggestions, draft.missing_info = [], []
    unmatched: list[str] = []
    for clause in _refine_clauses(feedback):
        if not _apply(draft, clause, task):
            unmatched.append(clause)
    if unmatched:
        draft.suggestions.append(
            "The offline provider could not map these parts of the feedback to a change: "
            + "; ".join(repr(c) for c in unmatched)
            + ". It understands: rename, schedules, add/remove/disable a step, change a URL or "
            "method, retries, stop on error, wait times."
        )
    return draft.model_dump()


def _refine_clauses(feedback: str) -> list[str]:
    # URLs and "before/after X" stay inside their clause.
    parts = re.split(
        r"\s*(?:;|\.(?=\s|$)|,\s*(?:and\s+)?(?=[a-z])|\band then\b|\band also\b)\s*", feedback
    )
    return [p.strip() for p in parts if p and p.strip()]


def _apply(draft: Draft, clause: str, task: StructuredTask) -> bool:
    seen = understand(clause)
    if (rename := _RENAME.search(clause)) is not None:
        draft.name = rename.group("name").strip()[:255]
        return True
    changed = False
    url_change = _URL_CHANGE.search(clause)
    if (
        url_change is None
        and seen.trigger.subtype != "MANUAL"
        and (trigger := _first(draft, "TRIGGER")) is not None
    ):
        trigger.subtype = seen.trigger.subtype
        trigger.name = seen.trigger.label
        trigger.parameters = {}
        if seen.trigger.cron:
            trigger.parameters["cron"] = seen.trigger.cron
        if seen.trigger.subtype == "WEBHOOK":
            trigger.parameters.update(path=seen.trigger.path or "/hooks/incoming", method="POST")
        changed = True
    if seen.timezone:
        draft.timezone = seen.timezone
        changed = True
    if url_change is not None:
        target = _find(draft, clause, prefer="HTTP_REQUEST")
        if target is not None:
            target.parameters["url"] = url_change.group("url").rstrip(".")
            return True
    if (method := _METHOD.search(clause)) is not None:
        target = _find(draft, clause, prefer="HTTP_REQUEST")
        if target is not None:
            target.parameters["method"] = method.group("method").upper()
            return True
    if (retry := _RETRY.search(clause)) is not None:
        tries = int(retry.group("n") or 3)
        for node in draft.nodes:
            if node.type in {"HTTP_REQUEST", "AI"}:
                node.retry_policy = DraftRetry(max_tries=max(1, min(10, tries)))
        return True
    if _STOP.search(clause):
        for node in draft.nodes:
            if canonical(node.type) != "TRIGGER":
                node.on_error = "stop"
        return True
    if (toggle := _DISABLE.match(clause)) is not None:
        target = _match_ref(draft, toggle.group("ref"))
        if target is not None:
            target.disabled = toggle.group("verb").lower() in {"disable", "turn off"}
            return True
    if re.search(r"\b(?:change|make|set|increase|decrease|shorten|extend)\b", clause, re.I):
        wait_node = _first(draft, "WAIT")
        if wait_node is not None and seen.steps and seen.steps[0].seconds:
            wait_node.parameters["seconds"] = str(seen.steps[0].seconds)
            return True
    if (remove := _REMOVE.match(clause)) is not None:
        target = _match_ref(draft, remove.group("ref"))
        if target is not None and target.type != "TRIGGER":
            _remove(draft, target.id)
            return True
        return changed  # "remove the unicorn step" names no step: not a new delete step
    add = _ADD.match(clause)
    body = clause[add.end() :] if add else clause
    position = _POSITION.search(body)
    if position is not None:
        body = body[: position.start()]
    if add is not None or (not changed and classify(body)):
        return _add_steps(draft, body, position, task) or changed
    return changed


def _first(draft: Draft, type_name: str) -> DraftNode | None:
    return next((n for n in draft.nodes if canonical(n.type) == type_name), None)


_REF_WORDS = {
    "slack": ("slack",),
    "ai": ("ai", "summary", "summarize", "llm"),
    "wait": ("wait", "delay", "pause"),
    "condition": ("condition", "check", "if", "filter"),
    "http": ("api", "request", "http", "call", "fetch"),
    "email": ("email", "e-mail", "mail"),
    "duplicates": ("duplicate", "duplicates", "dedupe"),
}


_STOP_WORDS = frozenset(
    {"the", "a", "an", "and", "to", "of", "for", "with", "step", "node", "url", "change", "set",
     "use", "make", "it", "its", "this", "that", "one", "endpoint", "method", "switch", "point"}
)  # fmt: skip
"""Words of a feedback clause that name no step ("change the URL of the ...")."""


def _match_ref(draft: Draft, ref: str) -> DraftNode | None:
    """The node a phrase such as "slack notification" or "Wait 5 min" points at."""
    ref = ref.strip().lower()
    for node in draft.nodes:
        if node.id.lower() == ref or node.name.lower() == ref:
            return node
    words = set(re.findall(r"[a-z0-9-]+", ref)) - _STOP_WORDS
    best: tuple[int, DraftNode] | None = None
    for node in reversed(draft.nodes):
        haystack = f"{node.name} {node.id} {node.type}".lower().replace("_", " ")
        score = sum(1 for w in words if len(w) > 2 and w in haystack)
        for key, synonyms in _REF_WORDS.items():
            if words & set(synonyms) and (key in haystack or any(s in haystack for s in synonyms)):
                score += 2
        if score and (best is None or score > best[0]):
            best = (score, node)
    return best[1] if best else None


def _find(draft: Draft, clause: str, *, prefer: str) -> DraftNode | None:
    named = _match_ref(draft, re.sub(r"https?://\S+", "", clause))
    if named is not None and canonical(named.type) == prefer:
        return named
    candidates = [n for n in draft.nodes if canonical(n.type) == prefer]
    if len(candidates) > 1 and not re.search(r"\bslack\b", clause, re.I):
        # "the URL" / "use POST" with no step named means the API call, not the notification.
        candidates = [n for n in candidates if not _is_slack(n)] or candidates
    return candidates[0] if candidates else None


def _is_slack(node: DraftNode) -> bool:
    return node.id.startswith("slack") or "hooks.slack.com/" in node.parameters.get("url", "")


def _remove(draft: Draft, node_id: str) -> None:
    parents = [e for e in draft.connections if e.target == node_id]
    children = [e for e in draft.connections if e.source == node_id]
    kept = [e for e in draft.connections if node_id not in {e.source, e.target}]
    for parent in parents:
        for child in children:
            kept.append(DraftEdge(source=parent.source, target=child.target, type=parent.type))
    draft.connections = kept
    draft.nodes = [n for n in draft.nodes if n.id != node_id]


def _leaf(draft: Draft) -> str:
    """Where "add a step" attaches: the end of the main path from the trigger."""
    node_id = draft.nodes[0].id
    while True:
        nexts = [e for e in draft.connections if e.source == node_id and e.type != "false"]
        if not nexts:
            return node_id
        node_id = nexts[-1].target


def _add_steps(
    draft: Draft, body: str, position: re.Match[str] | None, task: StructuredTask
) -> bool:
    context = _strings(task.inputs.get("context"))
    addition = draft_from_description(body, context, {})
    new_nodes = [n for n in addition.nodes if n.type != "TRIGGER"]
    if not new_nodes:
        return False
    taken = {n.id for n in draft.nodes}
    renamed: dict[str, str] = {}
    for node in new_nodes:
        base, n = re.sub(r"_\d+$", "", node.id), 1
        while f"{base}_{n}" in taken:
            n += 1
        renamed[node.id] = f"{base}_{n}"
        taken.add(renamed[node.id])
        node.id = renamed[node.id]
    inner = [
        DraftEdge(source=renamed[e.source], target=renamed[e.target], type=e.type)
        for e in addition.connections
        if e.source in renamed and e.target in renamed
    ]
    first, last = new_nodes[0].id, new_nodes[-1].id
    anchor = _match_ref(draft, position.group("ref")) if position is not None else None
    if anchor is not None and position is not None and position.group("where").lower() == "before":
        incoming = [e for e in draft.connections if e.target == anchor.id]
        draft.connections = [e for e in draft.connections if e.target != anchor.id]
        draft.connections += [
            DraftEdge(source=e.source, target=first, type=e.type) for e in incoming
        ]
        draft.connections.append(DraftEdge(source=last, target=anchor.id))
    elif anchor is not None:
        outgoing = [e for e in draft.connections if e.source == anchor.id]
        draft.connections = [e for e in draft.connections if e.source != anchor.id]
        draft.connections.append(DraftEdge(source=anchor.id, target=first, type="main"))
        draft.connections += [DraftEdge(source=last, target=e.target) for e in outgoing]
    else:
        draft.connections.append(DraftEdge(source=_leaf(draft), target=first))
    draft.nodes.extend(new_nodes)
    draft.connections.extend(inner)
    draft.missing_info.extend(addition.missing_info)
    return True


# -- repair -------------------------------------------------------------------------------


def solve_repair(task: StructuredTask) -> dict[str, Any]:
    """Mechanical fixes for a draft that failed validation: unknown node types dropped
    (their neighbours joined), edges to nowhere and self-loops removed, cycles broken, a
    MANUAL trigger added when there is none, unreachable nodes attached to the trigger.
    Values it cannot know (a missing URL) become ``missing_info``."""
    raw = task.inputs.get("draft")
    draft, problems = parse_draft(raw if isinstance(raw, Mapping) else {})
    if draft is None:
        raise LLMOutputError("offline", "cannot repair: " + "; ".join(problems))
    for node in list(draft.nodes):
        if canonical(node.type) not in CATALOG:
            _remove(draft, node.id)
            draft.suggestions.append(f"Dropped node {node.id!r}: unknown type {node.type!r}.")
    ids = [n.id for n in draft.nodes]
    unique: dict[str, DraftNode] = {}
    for node in draft.nodes:
        unique.setdefault(node.id, node)
    draft.nodes = list(unique.values())
    draft.connections = [
        e
        for e in draft.connections
        if e.source in unique and e.target in unique and e.source != e.target
    ]
    if not any(canonical(n.type) == "TRIGGER" for n in draft.nodes):
        trigger_id = "trigger" if "trigger" not in ids else "trigger_manual"
        roots = [n.id for n in draft.nodes if not any(e.target == n.id for e in draft.connections)]
        draft.nodes.insert(
            0, DraftNode(id=trigger_id, name="Manual", type="TRIGGER", subtype="MANUAL")
        )
        draft.connections += [DraftEdge(source=trigger_id, target=r) for r in roots]
    _break_cycles(draft)
    trigger_ids = [n.id for n in draft.nodes if canonical(n.type) == "TRIGGER"]
    reached = _reach(draft, trigger_ids)
    for node in draft.nodes:
        if node.id not in reached:
            draft.connections.append(DraftEdge(source=trigger_ids[0], target=node.id))
            reached |= _reach(draft, [node.id])
    for node in draft.nodes:
        spec = CATALOG[canonical(node.type)]
        if spec.subtypes and node.subtype not in spec.subtypes:
            node.subtype = "MANUAL" if spec.type == "TRIGGER" else None
        for name in spec.required:
            if not node.parameters.get(name, "").strip():
                draft.missing_info.append(f"{node.id}.{name}: a value for {name} of '{node.name}'")
    return draft.model_dump()


def _reach(draft: Draft, starts: list[str]) -> set[str]:
    outgoing: dict[str, list[str]] = {}
    for edge in draft.connections:
        outgoing.setdefault(edge.source, []).append(edge.target)
    return reachable(starts, outgoing)


def _break_cycles(draft: Draft) -> None:
    order = {n.id: i for i, n in enumerate(draft.nodes)}
    # Edges that point back to an earlier node in the draft's own order close cycles.
    kept = []
    for edge in draft.connections:
        if order[edge.target] <= order[edge.source] and edge.source in _reach(draft, [edge.target]):
            draft.suggestions.append(f"Removed edge {edge.source} -> {edge.target} (a cycle).")
            continue
        kept.append(edge)
    draft.connections = kept
