"""Flag evaluation cost: microseconds per transport decision (python -m bench.flags).

Three flag sets of growing size (no rules; a service rollout; 200 per-method rules) and
three users; best of 5 rounds of 200,000 decisions each. Last line: one JSON object."""

from __future__ import annotations

import json
import timeit

from feature_flags import Decider, FlagSet


def measure(flags: FlagSet, rounds: int = 5, number: int = 200_000) -> float:
    decide = Decider(lambda: flags).decide
    users = ["user-1", "user-2", None]

    def call() -> None:
        for user in users:
            decide("workflow_engine", "GetWorkflow", user)

    best = min(timeit.repeat(call, number=number // len(users), repeat=rounds))
    return round(best / number * 1e6, 3)


def main() -> int:
    sets = {
        "default_only": FlagSet(),
        "service_rollout": FlagSet(services={"workflow_engine": "http:25+shadow"}),
        "many_method_rules": FlagSet(
            services={"workflow_engine": "http:50"},
            methods={f"workflow_engine/method{i}": "http" for i in range(200)},
        ),
    }
    results = {name: measure(flags) for name, flags in sets.items()}
    for name, us in results.items():
        print(f"{name:<20}{us:>8} us per decision")
    print(json.dumps({"flag_eval_us": max(results.values()), **results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
