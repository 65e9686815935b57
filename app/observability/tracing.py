"""OpenTelemetry tracing, opt-in: on when an OTLP endpoint is set, absent otherwise.

Configured by the standard OTEL_* variables. Without an endpoint nothing is
wired and not even the SDK is imported (it costs ~3 MiB and a few hundred
milliseconds of start-up), so an untraced service pays nothing. With one,
tracing_sdk.Tracing supplies the server-span middleware, the MongoDB command
listener and the exemplars; see its docstring for the export guarantees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import Counter

    from app.observability.tracing_sdk import Tracing
    from app.settings import Settings

# Shutdown runs the flush after draining requests; the chart's grace margin
# (5 s by default) is what is left before the kubelet's SIGKILL.
MAX_FLUSH_SECONDS = 3.0
SPAN_DROP_REASONS = ("queue_full", "export_failed")


def traces_endpoint(settings: Settings) -> str | None:
    """Where spans go (OTLP over HTTP), or None when tracing is off."""
    if settings.otel_sdk_disabled:
        return None
    if settings.otel_exporter_otlp_traces_endpoint:
        return settings.otel_exporter_otlp_traces_endpoint
    if settings.otel_exporter_otlp_endpoint:
        # The OTLP spec: the signal path is appended to the generic endpoint.
        return settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
    return None


def start_tracing(settings: Settings, *, dropped: Counter) -> Tracing | None:
    """Tracing as the OTEL_* variables ask, or None (nothing to wire) without an endpoint."""
    endpoint = traces_endpoint(settings)
    if endpoint is None:
        return None
    for reason in SPAN_DROP_REASONS:  # exported as 0 from the start, so rates exist
        dropped.labels(reason)
    flush_seconds = min(MAX_FLUSH_SECONDS, settings.shutdown_timeout_seconds)
    from app.observability.tracing_sdk import Tracing  # noqa: PLC0415 - only when tracing is on

    return Tracing(endpoint=endpoint, dropped=dropped, flush_seconds=flush_seconds)
