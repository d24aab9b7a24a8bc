"""Converter benchmark: the generic converter vs the json_format route vs hand-written code.

    python -m bench.converter [--rounds N]

Converts the realistic 20- and 200-node workflows both ways with each method, timing the
methods interleaved in the same run (best of N rounds, microseconds per conversion), and
prints a table, the ratios, and finally one JSON line for the 20-node workflow.

The json_format route is what a team reaches for first: ``model_dump`` + ``ParseDict``
toward proto, ``MessageToDict`` + ``model_validate`` back. Because the HTTP shape differs
from proto JSON (flat connections, enum spellings), that route also needs the small
reshaping in ``_to_proto_json`` / ``_from_proto_json``; without it it cannot produce the
same message at all.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from collections.abc import Callable
from typing import Any

from google.protobuf import json_format

from bench import handwritten
from bench.fixtures import load_workflow
from contract.binding import converter
from contract.models import Workflow
from contract.workflow.v1 import workflow_pb2 as pb

_ON_ERROR = {"continue": "ON_ERROR_CONTINUE", "stop": "ON_ERROR_STOP"}
_ON_ERROR_BACK = {v: k for k, v in _ON_ERROR.items()}


def _to_proto_json(data: dict[str, Any]) -> dict[str, Any]:
    for node in data["nodes"]:
        node["on_error"] = _ON_ERROR[node["on_error"]]
    data["connections"] = {
        "connections": {
            src: {"connection_types": {k: {"connections": v} for k, v in by_type.items()}}
            for src, by_type in data["connections"].items()
        }
    }
    return data


def _from_proto_json(data: dict[str, Any]) -> dict[str, Any]:
    for node in data["nodes"]:
        node["on_error"] = _ON_ERROR_BACK[node["on_error"]]
    data["connections"] = {
        src: {k: v["connections"] for k, v in nc["connection_types"].items()}
        for src, nc in data["connections"]["connections"].items()
    }
    return data


def json_format_to_proto(model: Workflow) -> pb.Workflow:
    data = _to_proto_json(model.model_dump(mode="json", exclude_none=True))
    return json_format.ParseDict(data, pb.Workflow())


def json_format_from_proto(message: pb.Workflow) -> Workflow:
    data = json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    # MessageToDict prints int64 as strings; model_validate (lax) turns them back.
    return Workflow.model_validate(_from_proto_json(data))


def best_us(fn: Callable[[], object], rounds: int, budget_s: float) -> float:
    """Best time of one call in microseconds over ``rounds`` timed batches."""
    fn()
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    number = max(1, int(budget_s / rounds / once))
    best = float("inf")
    gc.collect()
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best * 1e6


def measure(nodes: int, rounds: int, budget_s: float) -> dict[str, float]:
    conv = converter()
    model = Workflow.model_validate(load_workflow(nodes))
    message = conv.to_proto(model, pb.Workflow)
    # Every method must produce the same result, or its timing means nothing.
    assert handwritten.workflow_to_proto(model) == message
    assert json_format_to_proto(model) == message
    assert conv.from_proto(message, Workflow) == model
    assert handwritten.workflow_from_proto(message) == model
    assert json_format_from_proto(message) == model
    cases: dict[str, Callable[[], object]] = {
        "to_proto_us": lambda: conv.to_proto(model, pb.Workflow),
        "from_proto_us": lambda: conv.from_proto(message, Workflow),
        "json_format_to_proto_us": lambda: json_format_to_proto(model),
        "json_format_from_proto_us": lambda: json_format_from_proto(message),
        "hand_to_proto_us": lambda: handwritten.workflow_to_proto(model),
        "hand_from_proto_us": lambda: handwritten.workflow_from_proto(message),
    }
    results = {name: float("inf") for name in cases}
    # Interleave: each pass times every method once, so machine noise hits all alike.
    for _ in range(rounds):
        for name, fn in cases.items():
            results[name] = min(results[name], best_us(fn, 3, budget_s / rounds))
    return {name: round(value, 1) for name, value in results.items()}


def ratios(r: dict[str, float]) -> dict[str, float]:
    return {
        "speedup_vs_json_format_to_proto": round(
            r["json_format_to_proto_us"] / r["to_proto_us"], 2
        ),
        "speedup_vs_json_format_from_proto": round(
            r["json_format_from_proto_us"] / r["from_proto_us"], 2
        ),
        "speedup_vs_hand_to_proto": round(r["hand_to_proto_us"] / r["to_proto_us"], 2),
        "speedup_vs_hand_from_proto": round(r["hand_from_proto_us"] / r["from_proto_us"], 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--budget", type=float, default=1.0, help="seconds per method")
    args = parser.parse_args(argv)
    summary: dict[str, float] = {}
    for nodes in (20, 200):
        r = measure(nodes, args.rounds, args.budget)
        q = ratios(r)
        print(f"{nodes}-node workflow (us per conversion, best of {args.rounds} rounds)")
        for direction in ("to_proto", "from_proto"):
            print(
                f"  {direction:<11} converter {r[direction + '_us']:>8.1f}"
                f"   json_format {r['json_format_' + direction + '_us']:>8.1f}"
                f"   hand-written {r['hand_' + direction + '_us']:>8.1f}"
            )
        print("  ratios: " + ", ".join(f"{k}={v}" for k, v in q.items()))
        if nodes == 20:
            summary = {**r, **q}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
