"""Reading a plain-English description: its trigger (manual, webhook, schedule), its time
zone, and its steps in order, each with the condition that guards it.

Deterministic and local. It is what the offline provider drafts from, and what the agent
uses, whatever the provider, to tell which critical values (URLs...) the user gave and
which must be asked for rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

URL = re.compile(r"https?://[^\s,;\"'<>)\]]+")
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")

_WEBHOOK = re.compile(
    r"\b(?:(?:when(?:ever)?|each time|every time|once)\s+(?:a|an|the|new|our)?\s*(?:new\s+)?"
    r"(?:[\w-]+\s+){0,2}?(?:web ?hook|request|event|order|payment|form|submission|message|call|"
    r"notification|ticket|sign-?up|lead|issue|push|alert)s?\s+"
    r"(?:arrives?|comes? in|is (?:received|submitted|created|placed|posted|opened|sent)|"
    r"gets? (?:posted|created|sent)|fires?|hits?)"
    r"|(?:on|for) (?:each|every|an?) (?:incoming )?(?:web ?hook|request|http request)(?: call)?"
    r"|(?:via|using|from|with|on|through) an? (?:incoming )?web ?hook"
    r"|(?<!slack )incoming web ?hooks?"
    r"|receiv(?:e|es|ing) an? (?:post|request|web ?hook|call)|web ?hook trigger"
    # A Slack (incoming) webhook is where a step posts, not what starts the workflow.
    r"|(?<!slack )(?<!slack incoming )(?<!slack's )web ?hook(?! url))\b",
    re.I,
)
_AT = r"(?:\s+at\s+(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?)?"
_NOUNS = (
    r"(?:the\s+)?(?:report|summary|digest|newsletter|update|stats|statistics|numbers|backup|"
    r"review|meeting|standup|sales|total|revenue|e-?mail)s?\b"
)
"""Words after "daily"/"weekly" that make it an adjective ("the weekly report"), not a schedule."""
_DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_SCHEDULE = re.compile(
    r"\b(?:(?:every|each)\s+(?:(?P<n>\d+)\s+(?P<unit>minutes?|mins?|hours?)|"
    rf"(?P<period>minute|hour|day|morning|evening|night|weekday|week|month|{_DAYS}))s?"
    rf"|(?P<adverb>hourly|daily|nightly|weekly|monthly|on weekdays)(?!\s+{_NOUNS})){_AT}"
    r"|\bat\s+(?P<hour2>\d{1,2})(?::(?P<minute2>\d{2}))?\s*(?P<ampm2>am|pm)?"
    r"\s+(?:every day|daily)\b",
    re.I,
)
_CRON = re.compile(
    r"\bcron\s*(?:expression\s*)?[`'\"]?(?P<expr>[\d*/,\-]+(?:\s+[\d*/,\-]+){4})[`'\"]?", re.I
)
_ZONE = re.compile(
    r"\b(?:in|timezone|time zone|tz)\s+(?P<zone>[A-Za-z]+/[A-Za-z_]+(?:/[A-Za-z_]+)?|UTC)\b"
)
_PREAMBLE = re.compile(
    r"^\s*(?:please\s+)?(?:(?:create|build|make|set up|setup|design|write|generate)\s+"
    r"(?:me\s+)?(?:a|an)?\s*(?:workflow|automation|flow|pipeline)?\s*(?:that|which|to|for)?\s*|"
    r"(?:i|we)\s+(?:want|need|would like|'d like)\s+(?:a\s+)?(?:workflow\s+)?(?:that\s+|to\s+)?)",
    re.I,
)
_SPLIT = re.compile(
    r"\s*(?:[,;]|\.(?=\s|$)|\band then\b|\bthen\b|\bafter that\b|\bafterwards\b|\bfinally\b|"
    r"\band\b|\balso\b)\s*",
    re.I,
)
_GUARD = re.compile(r"\b(?:only\s+)?(?:if|when|whenever|in case)\s+(?P<cond>.+)$", re.I)
_ACTION_VERB = re.compile(
    r"\b(?:send|call|fetch|get|post|notify|alert|message|wait|summari[sz]e|delete|remove|"
    r"store|save|e-?mail|forward|put|ping|classify|translate|then)\b",
    re.I,
)
_OTHERWISE = re.compile(r"^(?:otherwise|else|if not(?: so)?)\b\s*", re.I)
_WAIT = re.compile(
    r"\b(?:wait|pause|sleep|delay)\s+(?:of\s+|for\s+)?(?P<n>\d+)\s*"
    r"(?P<unit>seconds?|secs?|s|minutes?|mins?|m|hours?|h)\b",
    re.I,
)

STEP_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("slack", re.compile(r"\bslack\b", re.I)),
    ("email", re.compile(r"\b(?:e-?mail|mail)\b", re.I)),
    ("wait", _WAIT),
    (
        "ai",
        re.compile(
            r"\b(?:summari[sz]e|summary|classify|categori[sz]e|translate|analy[sz]e|"
            r"sentiment|with (?:ai|an llm|gpt|claude)|using (?:ai|an llm)|ask (?:the )?(?:ai|llm)|"
            r"ai (?:to|step)|llm|draft (?:a|an) (?:reply|answer|response))\b",
            re.I,
        ),
    ),
    (
        "dedupe",
        re.compile(
            r"\b(?:remove|drop|filter out|de-?dup(?:e|licate)?)\s+(?:the\s+)?duplicat", re.I
        ),
    ),
    (
        "delete",
        re.compile(r"\b(?:delete|remove|purge|clean up|clear)\b", re.I),
    ),
    ("store", re.compile(r"\b(?:store|save|persist|record|log)\b", re.I)),
    (
        "http",
        re.compile(
            r"\b(?:call|fetch|get|query|hit|poll|request|post|put|patch|send|forward|push|"
            r"download|check|ping|look up|load|retrieve|api)\b|https?://",
            re.I,
        ),
    ),
    (
        "transform",
        re.compile(r"\b(?:transform|format|convert|extract|map|compute|calculate|set)\b", re.I),
    ),
)
"""Step kinds by priority: the first that matches a clause names its step."""


@dataclass(frozen=True, slots=True)
class Condition:
    text: str
    field: str
    """Snake-case field name, or ``status_code`` for the HTTP status."""
    operator: str
    value: str


@dataclass(slots=True)
class Step:
    kind: str
    clause: str
    url: str | None = None
    seconds: int | None = None
    guard: Condition | None = None
    unreadable_guard: str | None = None
    branch: str = "main"
    """``false`` for an "otherwise" step (the false edge of the condition before it)."""


@dataclass(slots=True)
class Trigger:
    subtype: str = "MANUAL"
    cron: str | None = None
    label: str = "Manual"
    path: str | None = None
    assumed: list[str] = field(default_factory=list)
    """Defaults the reader chose (e.g. 09:00 for "every morning"), said in suggestions."""
    unreadable: str | None = None
    """A schedule that was named but cannot be run as given ("every 90 minutes", "at
    25"): asked in missing_info rather than rounded to something else."""


@dataclass(slots=True)
class Understanding:
    text: str
    trigger: Trigger
    timezone: str | None
    steps: list[Step]
    emails: list[str]


def understand(description: str) -> Understanding:
    text = " ".join(description.split())
    trigger, rest = _trigger(text)
    timezone, rest = _timezone(rest)
    steps = _steps(rest)
    return Understanding(
        text=text, trigger=trigger, timezone=timezone, steps=steps, emails=EMAIL.findall(text)
    )


def _trigger(text: str) -> tuple[Trigger, str]:
    cron = _CRON.search(text)
    if cron:
        expr = " ".join(cron.group("expr").split())
        return Trigger("CRON", expr, f"Cron {expr}"), _cut(text, cron)
    schedule = _SCHEDULE.search(text)
    if schedule:
        return _schedule(schedule), _cut(text, schedule)
    webhook = _WEBHOOK.search(text)
    if webhook:
        path = re.search(r"(?:at|on|to)\s+(/[\w/.-]*[\w/-])", text)
        return Trigger("WEBHOOK", label="Webhook", path=path.group(1) if path else None), _cut(
            text, webhook
        )
    return Trigger(), text


def _cut(text: str, match: re.Match[str]) -> str:
    return " ".join((text[: match.start()] + " " + text[match.end() :]).split())


def _schedule(match: re.Match[str]) -> Trigger:
    groups = match.groupdict()
    hour_text = groups.get("hour") or groups.get("hour2")
    minute = int(groups.get("minute") or groups.get("minute2") or 0)
    ampm = (groups.get("ampm") or groups.get("ampm2") or "").replace(".", "").lower()
    period = (groups.get("period") or groups.get("adverb") or "").lower()
    assumed: list[str] = []
    if groups.get("n"):
        n = int(groups["n"])
        hours = groups["unit"].lower().startswith("h")
        if not hours and n >= 60 and n % 60 == 0:
            n, hours = n // 60, True
        if hours and n == 24:
            return Trigger("CRON", "0 0 * * *", "Every day at 00:00")
        # Cron steps restart each hour (day): */n runs evenly only when n divides 60 (24).
        if hours and 1 <= n < 24 and 24 % n == 0:
            return Trigger("CRON", f"0 */{n} * * *", f"Every {n} hours")
        if not hours and 1 <= n < 60 and 60 % n == 0:
            return Trigger("CRON", f"*/{n} * * * *", f"Every {n} minutes")
        unit = "hours" if hours else "minutes"
        return Trigger(
            "MANUAL",
            unreadable=f"every {n} {unit} cannot be a cron schedule (use a number of "
            f"{unit} that divides {24 if hours else 60}, or a cron expression)",
        )
    if period in {"minute"}:
        return Trigger("CRON", "* * * * *", "Every minute")
    if period in {"hour", "hourly"}:
        return Trigger("CRON", f"{minute} * * * *", "Every hour")
    defaults = {"morning": 9, "evening": 18, "night": 22, "nightly": 22}
    if hour_text is not None:
        hour = int(hour_text)
        if hour > 23 or minute > 59 or (ampm and not 1 <= hour <= 12):
            return Trigger("MANUAL", unreadable=f"{match.group(0).strip()!r} is not a time of day")
        if ampm == "pm" and hour < 12:
            hour += 12
        if ampm == "am" and hour == 12:
            hour = 0
        if period == "evening" and hour < 12 and not ampm:
            hour += 12
    else:
        hour = defaults.get(period, 9)
        assumed.append(f"runs at {hour:02d}:{minute:02d} (no time was given)")
    at = f"{hour:02d}:{minute:02d}"
    if period in _DAYS.split("|"):
        day = _DAYS.split("|").index(period) + 1
        return Trigger(
            "CRON",
            f"{minute} {hour} * * {day % 7}",
            f"Every {period.title()} at {at}",
            assumed=assumed,
        )
    if period in {"weekday", "on weekdays"}:
        return Trigger("CRON", f"{minute} {hour} * * 1-5", f"Weekdays at {at}", assumed=assumed)
    if period in {"week", "weekly"}:
        assumed.append("runs on Mondays")
        return Trigger("CRON", f"{minute} {hour} * * 1", f"Every Monday at {at}", assumed=assumed)
    if period in {"month", "monthly"}:
        assumed.append("runs on the 1st of the month")
        return Trigger("CRON", f"{minute} {hour} 1 * *", f"Monthly at {at}", assumed=assumed)
    return Trigger("CRON", f"{minute} {hour} * * *", f"Every day at {at}", assumed=assumed)


def _timezone(text: str) -> tuple[str | None, str]:
    for match in _ZONE.finditer(text):
        zone = match.group("zone")
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        return zone, _cut(text, match)
    return None, text


def _steps(text: str) -> list[Step]:
    text = _PREAMBLE.sub("", text)
    # URLs contain dots and commas no clause boundary should split.
    urls: list[str] = []

    def hold(match: re.Match[str]) -> str:
        url = match.group(0).rstrip(".")
        urls.append(url)
        # A full stop after a URL still ends the sentence ("Fetch https://x/s. If ...").
        end = "." if len(url) < len(match.group(0)) else ""
        return f" URL{len(urls) - 1}X{end} "

    held = URL.sub(hold, text)
    steps: list[Step] = []
    pending: Condition | None = None
    pending_text: str | None = None
    for raw in _SPLIT.split(held):
        clause = raw.strip()
        if not clause:
            continue
        otherwise = _OTHERWISE.match(clause)
        if otherwise:
            clause = clause[otherwise.end() :]
        guard_text = None
        guard = _GUARD.search(clause)
        if guard:
            cond = guard.group("cond")
            clause = clause[: guard.start()].strip()
            if not clause:  # "if the total is over 100 send an email": split at the verb
                verb = _ACTION_VERB.search(cond)
                if verb is not None and verb.start() > 0:
                    cond, clause = cond[: verb.start()], cond[verb.start() :]
            guard_text = _restore(cond, urls)
        kind = classify(clause) if clause else None
        if kind is None:
            if guard_text is not None:  # "if X," guards the next step
                pending_text = guard_text
                pending = parse_condition(guard_text)
            continue
        step = Step(kind=kind, clause=_restore(clause, urls))
        found = re.search(r"URL(\d+)X", clause)
        if found:
            step.url = urls[int(found.group(1))]
            if "hooks.slack.com/" in step.url:
                step.kind = "slack"
        if kind == "wait":
            step.seconds = _seconds(clause)
        if otherwise and steps and (steps[-1].guard or steps[-1].unreadable_guard):
            step.branch = "false"
        else:
            cond_text = guard_text if guard_text is not None else pending_text
            if cond_text is not None:
                step.guard = parse_condition(cond_text) if guard_text is not None else pending
                if step.guard is None:
                    step.unreadable_guard = cond_text
            pending, pending_text = None, None
        steps.append(step)
    return steps


def _restore(text: str, urls: list[str]) -> str:
    return " ".join(re.sub(r"URL(\d+)X", lambda m: urls[int(m.group(1))], text).split())


_LEADING_TRANSFORM = re.compile(
    r"^(?:then\s+)?(?:extract|compute|calculate|format|convert|map)\b", re.I
)
"""A clause that starts by reshaping the data is a transform, whatever it names
("extract the email" is not an e-mail step)."""


def classify(clause: str) -> str | None:
    if _LEADING_TRANSFORM.search(clause):
        return "transform"
    for kind, pattern in STEP_PATTERNS:
        if pattern.search(clause):
            return kind
    return None


def _seconds(clause: str) -> int | None:
    match = _WAIT.search(clause)
    if match is None:
        return None
    n, unit = int(match.group("n")), match.group("unit").lower()
    if unit.startswith("h"):
        return n * 3600
    if unit.startswith("m"):
        return n * 60
    return n


_OPERATORS: tuple[tuple[str, str], ...] = (
    (r"is not empty|isn't empty|is present|exists", "is_not_empty"),
    (r"is empty|is missing|is blank", "is_empty"),
    (r"is greater than or equal to|is at least|>=", "greater_or_equal"),
    (r"is less than or equal to|is at most|<=", "less_or_equal"),
    (
        r"is greater than|is more than|is over|is above|is higher than|exceeds|goes above|>",
        "greater_than",
    ),
    (r"is less than|is under|is below|is lower than|drops below|falls below|<", "less_than"),
    (r"does not contain|doesn't contain", "not_contains"),
    (r"contains|mentions|includes", "contains"),
    (r"is not|isn't|does not equal|doesn't equal|!=", "not_equals"),
    (r"equals|is equal to|==|=|is", "equals"),
)
_CONDITION = re.compile(
    r"^(?:the\s+|its\s+|their\s+)?(?P<field>[a-z][\w ]{0,40}?)\s+(?P<op>"
    + "|".join(p for p, _ in _OPERATORS)
    + r")\b\s*(?P<value>.*)$",
    re.I,
)


def parse_condition(text: str) -> Condition | None:
    """``the status is error`` -> Condition(status, equals, error); None if unreadable."""
    cleaned = text.strip().rstrip(".!?").strip()
    match = _CONDITION.match(cleaned)
    if match is None:
        return None
    op_text = match.group("op").lower()
    operator = next(op for pattern, op in _OPERATORS if re.fullmatch(pattern, op_text))
    field_words = re.sub(r"[^a-z0-9 ]", "", match.group("field").lower()).split()
    field_words = [
        w for w in field_words if w not in {"response", "api", "http"} or len(field_words) == 1
    ]
    if not field_words:
        return None
    name = "_".join(field_words)
    if name in {"status_code", "http_status", "code"}:
        name = "status_code"
    value = match.group("value").strip().strip("'\"`").strip()
    value = re.sub(r"^(?:an?|the)\s+", "", value)
    if operator not in {"is_empty", "is_not_empty"} and not value:
        return None
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        return None
    return Condition(text=cleaned, field=name, operator=operator, value=value)
