"""Forward weights: AWS's limits, checked here (moto accepts anything), and the % mapping.

``shift --http-weight N`` takes a percentage 0..100 for the target group it moves to; the
ALB weights written are exactly ``{to: N, other: 100 - N}``. ALB weights are relative
(0..999 each, at least one non-zero), so these are the percentages themselves, and a
``status`` read back from AWS shows the same numbers. Steps go from the current
percentage to N by ``--step`` points.
"""

from __future__ import annotations

from collections.abc import Mapping

MAX_WEIGHT = 999
MAX_TARGET_GROUPS = 5
"""Per forward action (ALB; NLB weighted target groups have the same limit)."""
STICKINESS_SECONDS = (1, 604_800)

Weights = dict[str, int]
"""Target-group colour -> forward weight."""


class WeightError(ValueError):
    """Weights AWS would refuse (or silently mangle, under moto)."""


def check_weights(weights: Mapping[str, int]) -> None:
    if not 1 <= len(weights) <= MAX_TARGET_GROUPS:
        raise WeightError(
            f"a forward action takes 1..{MAX_TARGET_GROUPS} target groups, got {len(weights)}"
        )
    for color, weight in weights.items():
        if isinstance(weight, bool) or not isinstance(weight, int):
            raise WeightError(f"weight of {color!r} must be an integer, got {weight!r}")
        if not 0 <= weight <= MAX_WEIGHT:
            raise WeightError(f"weight of {color!r} is {weight}: ALB weights are 0..{MAX_WEIGHT}")
    if not any(weights.values()):
        raise WeightError("at least one target group needs a non-zero weight")


def check_stickiness(enabled: bool, duration: int | None) -> None:
    low, high = STICKINESS_SECONDS
    if enabled and (duration is None or not low <= duration <= high):
        raise WeightError(f"stickiness duration must be {low}..{high} s, got {duration}")


def weights_for_percent(colors: list[str], to: str, percent: int) -> Weights:
    """``percent`` of the traffic to ``to``, the rest to the other of the two groups."""
    if not 0 <= percent <= 100:
        raise WeightError(f"--http-weight/--grpc-weight is a percentage 0..100, got {percent}")
    if len(colors) != 2 or to not in colors:
        raise WeightError(f"need exactly two target groups including {to!r}, got {colors}")
    (other,) = [c for c in colors if c != to]
    weights = {to: percent, other: 100 - percent}
    check_weights(weights)
    return weights


def percent_of(weights: Mapping[str, int], color: str) -> float:
    total = sum(weights.values())
    return 100.0 * weights.get(color, 0) / total if total else 0.0


def plan_steps(current: float, target: int, step: int) -> list[int]:
    """Percentages to apply in order, ending at ``target`` (empty when already there)."""
    if step < 1:
        raise WeightError(f"step must be at least 1 percentage point, got {step}")
    if round(current, 6) == target:
        return []
    steps: list[int] = []
    position = current
    direction = 1 if target > current else -1
    while True:
        position = position + direction * step
        if (direction > 0 and position >= target) or (direction < 0 and position <= target):
            steps.append(target)
            return steps
        steps.append(round(position))


def encode(weights: Mapping[str, int]) -> str:
    """As a tag value: ``blue=75 green=25`` (colours sorted; AWS tag values allow no comma)."""
    return " ".join(f"{color}={weights[color]}" for color in sorted(weights))


def decode(text: str) -> Weights:
    weights: Weights = {}
    for item in text.split():
        color, sep, value = item.partition("=")
        if not sep or not color or not value.isdigit():
            raise WeightError(f"recorded weights {text!r} are malformed")
        weights[color] = int(value)
    check_weights(weights)
    return weights
