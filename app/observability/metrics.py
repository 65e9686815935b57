"""Prometheus metrics on a registry owned by the app (names are a public contract)."""

from __future__ import annotations

import platform
from typing import TYPE_CHECKING

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
)

from app import __version__

if TYPE_CHECKING:
    from collections.abc import Callable

# Requests are mostly sub-millisecond to tens of milliseconds; the tail up to
# the database timeout (seconds) must still land in a bucket.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Every metric the service exports, registered on its own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            self.registry.register(collector)
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests answered, by route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and status.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.requests_in_flight = Gauge(
            "http_requests_in_flight",
            "HTTP requests being handled right now.",
            registry=self.registry,
        )
        self.mongodb_operation_seconds = Histogram(
            "mongodb_operation_duration_seconds",
            "Time of one MongoDB driver call, by operation and outcome.",
            ["operation", "outcome"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        build_info = Gauge(
            "users_api_build_info",
            "Always 1; labels carry the running version.",
            ["version", "python_version"],
            registry=self.registry,
        )
        build_info.labels(__version__, platform.python_version()).set(1)

    def request_recorder(self) -> Callable[[str, str, int, float], None]:
        """Count and time one request; label children are cached, since `.labels()` locks."""
        children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

        def record(method: str, route: str, status: int, seconds: float) -> None:
            key = (method, route, status)
            pair = children.get(key)
            if pair is None:
                labels = (method, route, str(status))
                pair = (self.requests.labels(*labels), self.request_seconds.labels(*labels))
                children[key] = pair
            pair[0].inc()
            pair[1].observe(seconds)

        return record
