"""Prometheus metrics on a registry owned by the app (names are a public contract)."""

from __future__ import annotations

import functools
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
        self.protocol_errors = Counter(
            "http_protocol_errors_total",
            "Requests the HTTP parser refused (answered 400), by aiohttp's error class.",
            ["error"],
            registry=self.registry,
        )
        self.header_read_timeouts = Counter(
            "http_header_read_timeouts_total",
            "Connections closed because request headers did not arrive in time.",
            registry=self.registry,
        )
        self.upload_budget_bytes = Gauge(
            "http_upload_budget_bytes",
            "Process-wide budget for request bodies being received (UPLOAD_BUDGET_BYTES).",
            registry=self.registry,
        )
        self.upload_reserved_bytes = Gauge(
            "http_upload_reserved_bytes",
            "Bytes of the upload budget reserved by bodies being received now.",
            registry=self.registry,
        )
        self.mongodb_operations_in_flight = Gauge(
            "mongodb_operations_in_flight",
            "MongoDB driver calls running right now (bounded by MAX_IN_FLIGHT).",
            registry=self.registry,
        )
        self.requests_shed = Counter(
            "http_requests_shed",
            "Requests refused with 503 at once because MAX_IN_FLIGHT database calls were running.",
            registry=self.registry,
        )
        self.unusable_documents = Counter(
            "users_unusable_documents",
            "Stored documents skipped from a page or refused on lookup, by the unusable field.",
            ["field"],
            registry=self.registry,
        )
        self.ready = Gauge(
            "users_api_ready",
            "1 if the last readiness check passed, else 0 (unchecked, database down, stopping).",
            registry=self.registry,
        )
        self.spans_dropped = Counter(
            "tracing_spans_dropped_total",
            "Spans lost instead of exported, by reason (queue_full, export_failed).",
            ["reason"],
            registry=self.registry,
        )
        build_info = Gauge(
            "users_api_build_info",
            "Always 1; labels carry the running version.",
            ["version", "python_version"],
            registry=self.registry,
        )
        build_info.labels(__version__, platform.python_version()).set(1)

    # `.labels()` takes a lock and validates on every call; label values are
    # bounded, so each child is looked up once and kept (functools.cache).

    def request_recorder(
        self, *, exemplar: Callable[[], dict[str, str] | None] | None = None
    ) -> Callable[[str, str, int, float], None]:
        """Count and time one request by method, route template and status.

        With `exemplar` (tracing on) each latency observation carries the
        current trace id, shown in the OpenMetrics exposition.
        """

        @functools.cache
        def children(method: str, route: str, status: int) -> tuple[Counter, Histogram]:
            labels = (method, route, str(status))
            return self.requests.labels(*labels), self.request_seconds.labels(*labels)

        def record(method: str, route: str, status: int, seconds: float) -> None:
            counter, timer = children(method, route, status)
            counter.inc()
            timer.observe(seconds)

        if exemplar is None:
            return record

        def record_with_exemplar(method: str, route: str, status: int, seconds: float) -> None:
            counter, timer = children(method, route, status)
            counter.inc()
            timer.observe(seconds, exemplar())

        return record_with_exemplar

    def operation_recorder(self) -> Callable[[str, str, float], None]:
        """Time one MongoDB driver call by operation and outcome."""
        timers = functools.cache(self.mongodb_operation_seconds.labels)

        def record(operation: str, outcome: str, seconds: float) -> None:
            timers(operation, outcome).observe(seconds)

        return record

    def unusable_document_counter(self) -> Callable[[str], None]:
        """Count one encounter with an unusable stored document, by field."""
        counters = functools.cache(self.unusable_documents.labels)
        return lambda field: counters(field).inc()
