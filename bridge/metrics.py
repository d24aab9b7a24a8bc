"""Prometheus metrics: the same names for both protocols, told apart by a label."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

LABELS = ("protocol", "service", "method", "code")
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Request, error and latency metrics of one server, in its own registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.requests = Counter(
            "bridge_requests", "Calls handled, by outcome code.", LABELS, registry=self.registry
        )
        self.errors = Counter(
            "bridge_request_errors", "Calls that ended in an error code.", LABELS,
            registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "bridge_request_duration_seconds",
            "Time from request decoded to response encoded.",
            LABELS,
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.stream_messages = Counter(
            "bridge_stream_messages",
            "Messages sent on server streams.",
            ("protocol", "service", "method"),
            registry=self.registry,
        )
        self._children: dict[tuple[str, ...], tuple[Any, Any, Any]] = {}

    def observe(self, protocol: str, service: str, method: str, code: str, seconds: float) -> None:
        labels = (protocol, service, method, code)
        children = self._children.get(labels)
        if children is None:
            # .labels() costs a lock and a lookup per call; the set of label values is
            # small (protocols x methods x codes), so keep the children.
            children = self._children[labels] = (
                self.requests.labels(*labels),
                self.errors.labels(*labels) if code != "OK" else None,
                self.latency.labels(*labels),
            )
        requests, errors, latency = children
        requests.inc()
        if errors is not None:
            errors.inc()
        latency.observe(seconds)

    def observe_stream(self, protocol: str, service: str, method: str, messages: int) -> None:
        """Once per stream, when it ends (``observe`` has its code and duration)."""
        self.stream_messages.labels(protocol, service, method).inc(messages)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
