"""The cut-over report as a small server-rendered HTML page (no build step, no scripts)."""

from __future__ import annotations

from html import escape
from typing import Any


def _table(title: str, headers: list[str], rows: list[list[Any]], row_ids: list[str]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        f'<tr id="{escape(rid)}">' + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>"
        for rid, row in zip(row_ids, rows, strict=True)
    )
    empty = "" if rows else f'<tr><td colspan="{len(headers)}">none</td></tr>'
    return f"<h2>{escape(title)}</h2><table><tr>{head}</tr>{body}{empty}</table>"


def render(report: dict[str, Any]) -> str:
    flags = report["flags"]
    scopes = [["default", flags["default"]]]
    scopes += [[k, v] for k, v in flags["services"].items()]
    scopes += [[k, v] for k, v in flags["methods"].items()]
    calls = [[c["method"], c["protocol"], c["count"]] for c in report["calls"]]
    windows = [
        [k, w["calls"], f"{w['error_rate']:.2%}", w["p99_ms"]] for k, w in report["windows"].items()
    ]
    shadow = report["shadow"]
    rollbacks = [[r["service"], r["reason"]] for r in report["rollbacks"]]
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Cut-over</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}</style></head>
<body><h1>Cut-over</h1>
<p>Flag revision <span id="revision">{flags["revision"]}</span>; kill switch
<span id="kill-switch">{"ON" if flags["kill_switch"] else "off"}</span>.</p>
{_table("Rules", ["scope", "rule"], scopes, [f"rule-{s[0]}" for s in scopes])}
{_table("Calls", ["method", "protocol", "calls"], calls, [f"calls-{c[0]}-{c[1]}" for c in calls])}
{
        _table(
            "Windows",
            ["service/protocol", "calls", "error rate", "p99 ms"],
            windows,
            [f"window-{w[0]}" for w in windows],
        )
    }
<h2>Shadow</h2><p>matches <span id="shadow-matches">{shadow["matches"]}</span>,
mismatches <span id="shadow-mismatches">{shadow["mismatches"]}</span>,
errors <span id="shadow-errors">{shadow["errors"]}</span></p>
{
        _table(
            "Rollbacks",
            ["service", "reason"],
            rollbacks,
            [f"rollback-{i}" for i in range(len(rollbacks))],
        )
    }
</body></html>"""
