"""``bridgectl lb``: load-balancer cutover (ALB weights, NLB swaps) with recorded rollback."""

from infra.lb.balancer import Cutover, CutoverError, HealthStop, NotManaged, ReadBackMismatch
from infra.lb.config import CutoverConfig, Route

__all__ = [
    "Cutover",
    "CutoverConfig",
    "CutoverError",
    "HealthStop",
    "NotManaged",
    "ReadBackMismatch",
    "Route",
]
