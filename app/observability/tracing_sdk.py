"""The OpenTelemetry SDK side of tracing: server spans, MongoDB spans, export, exemplars.

Imported only when tracing is on (tracing.start_tracing). The SDK reads the
sampler, the resource, the exporter's headers and timeout and the batch
queue's size from the standard OTEL_* variables itself.

Exporting happens on the SDK's worker thread: a request only appends its
spans to a bounded queue. A dead collector fills the queue, and every span
the queue or the exporter loses is counted in `tracing_spans_dropped_total`.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import TYPE_CHECKING

import structlog
from aiohttp import web
from opentelemetry import propagate
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.pymongo import CommandTracer
from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.semconv.attributes import (
    client_attributes,
    error_attributes,
    http_attributes,
    network_attributes,
    server_attributes,
    url_attributes,
    user_agent_attributes,
)
from opentelemetry.trace import (
    SpanKind,
    StatusCode,
    format_span_id,
    format_trace_id,
    get_current_span,
)

from app import __version__
from app.observability.middleware import CLIENT_CLOSED_REQUEST, UNMATCHED_ROUTE, route_template
from app.observability.tracing import SPAN_DROP_REASONS

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Sequence

    from aiohttp.typedefs import Handler, Middleware
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.trace import Span, Tracer
    from prometheus_client import Counter
    from pymongo.monitoring import CommandListener


logger = structlog.get_logger("app.tracing")

_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _resource() -> Resource:
    """OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES, with this service's name as the default."""
    resource = Resource.create({SERVICE_VERSION: __version__})
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: "users-api"}))
    return resource


class _CountingExporter(SpanExporter):
    """Passes batches to the real exporter and reports how each went."""

    def __init__(self, exporter: SpanExporter, *, on_export: Callable[[int, bool], None]) -> None:
        self._exporter = exporter
        self._on_export = on_export

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self._exporter.export(spans)
        except Exception:  # noqa: BLE001 - a broken exporter must cost spans, never the worker
            result = SpanExportResult.FAILURE
        self._on_export(len(spans), result is SpanExportResult.SUCCESS)
        return result

    def shutdown(self) -> None:
        self._exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self._exporter.force_flush(timeout_millis)


class _BoundedQueue(BatchSpanProcessor):
    """The SDK's batch processor, counting the spans its full queue pushes out.

    The SDK drops the oldest span silently when the queue is full; keeping our
    own count of queued spans (ended minus handed to the exporter) tells when.
    """

    def __init__(self, exporter: SpanExporter, *, dropped: Counter) -> None:
        self._lock = threading.Lock()
        self._queued = 0
        self._queue_full, self._export_failed = (dropped.labels(r) for r in SPAN_DROP_REASONS)
        super().__init__(_CountingExporter(exporter, on_export=self._exported))
        self._capacity = self._batch_processor._max_queue_size  # noqa: SLF001 - from OTEL_BSP_MAX_QUEUE_SIZE

    def on_end(self, span: ReadableSpan) -> None:
        if span.context is None or not span.context.trace_flags.sampled:
            return
        with self._lock:
            if self._queued >= self._capacity:
                self._queue_full.inc()
            else:
                self._queued += 1
        super().on_end(span)

    def _exported(self, count: int, succeeded: bool) -> None:  # noqa: FBT001 - a callback
        with self._lock:
            self._queued = max(0, self._queued - count)
        if not succeeded:
            self._export_failed.inc(count)


class Tracing:
    """The tracer, its export pipeline, and what the app wires from them."""

    def __init__(self, *, endpoint: str, dropped: Counter, flush_seconds: float) -> None:
        self._processor = _BoundedQueue(OTLPSpanExporter(endpoint=endpoint), dropped=dropped)
        # The sampler comes from OTEL_TRACES_SAMPLER(_ARG); parentbased_always_on by default.
        self._provider = TracerProvider(resource=_resource())
        self._provider.add_span_processor(self._processor)
        self.tracer: Tracer = self._provider.get_tracer("app.observability.tracing", __version__)
        self.endpoint = endpoint
        self._flush_seconds = flush_seconds

    @staticmethod
    def exemplar() -> dict[str, str] | None:
        """The sampled span's trace id, for a histogram exemplar; None outside one."""
        return current_exemplar()

    def mongodb_listener(self) -> CommandListener:
        """The official PyMongo instrumentation's listener, for this client only."""
        return CommandTracer(self.tracer)

    def middleware(self) -> Middleware:
        """Outermost middleware: the server span, and its ids bound for every log line."""
        return make_tracing_middleware(self.tracer)

    async def cleanup_context(self, _: web.Application) -> AsyncIterator[None]:
        """Flush queued spans at shutdown, bounded so a dead collector cannot hold the exit."""
        logger.info("tracing_enabled", endpoint=self.endpoint)
        yield
        try:
            async with asyncio.timeout(self._flush_seconds):
                await _in_daemon_thread(self._processor.shutdown)
        except TimeoutError:
            logger.warning("tracing_flush_timed_out", timeout_seconds=self._flush_seconds)
        else:
            logger.info("tracing_flushed")


async def _in_daemon_thread(work: Callable[[], object]) -> None:
    """Run blocking work off the loop in a daemon thread, which dies with the process.

    Not asyncio.to_thread: the loop's executor is joined at exit, so an
    overrunning export there would hold the process past its timeout.
    """
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def finish() -> None:
        if not done.done():
            done.set_result(None)

    def run() -> None:
        try:
            work()
        finally:
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits anymore
                loop.call_soon_threadsafe(finish)

    threading.Thread(target=run, name="tracing-flush", daemon=True).start()
    await done


def current_exemplar() -> dict[str, str] | None:
    """The sampled span's trace id, for a histogram exemplar; None outside one."""
    context = get_current_span().get_span_context()
    if not (context.is_valid and context.trace_flags.sampled):
        return None
    return {"trace_id": format_trace_id(context.trace_id)}


def _request_attributes(request: web.Request, method: str, route: str) -> dict[str, str | int]:
    """HTTP server semantic-convention attributes known before the handler runs."""
    attributes: dict[str, str | int] = {
        http_attributes.HTTP_REQUEST_METHOD: method,
        url_attributes.URL_PATH: request.path,
        url_attributes.URL_SCHEME: request.scheme,
        network_attributes.NETWORK_PROTOCOL_VERSION: "{}.{}".format(*request.version),
        server_attributes.SERVER_ADDRESS: request.url.host or "",
    }
    if request.url.port is not None:
        attributes[server_attributes.SERVER_PORT] = request.url.port
    if route != UNMATCHED_ROUTE:
        attributes[http_attributes.HTTP_ROUTE] = route
    if request.remote:
        attributes[client_attributes.CLIENT_ADDRESS] = request.remote
    if user_agent := request.headers.get("User-Agent"):
        attributes[user_agent_attributes.USER_AGENT_ORIGINAL] = user_agent
    return attributes


def make_tracing_middleware(tracer: Tracer) -> Middleware:
    """A SERVER span named `METHOD /route/{template}`, child of an incoming traceparent."""

    @web.middleware
    async def trace(request: web.Request, handler: Handler) -> web.StreamResponse:
        route = route_template(request)
        method = request.method if request.method in _KNOWN_METHODS else "_OTHER"
        name = method if route == UNMATCHED_ROUTE else f"{method} {route}"
        if method == "_OTHER":
            name = "HTTP" if route == UNMATCHED_ROUTE else f"HTTP {route}"
        parent: Context = propagate.extract(request.headers)
        with tracer.start_as_current_span(
            name,
            context=parent,
            kind=SpanKind.SERVER,
            attributes=_request_attributes(request, method, route),
        ) as span:
            span_context = span.get_span_context()
            structlog.contextvars.bind_contextvars(
                trace_id=format_trace_id(span_context.trace_id),
                span_id=format_span_id(span_context.span_id),
            )
            status = 500
            try:
                response = await handler(request)
            except web.HTTPException as error:
                status = error.status
                raise
            except asyncio.CancelledError:
                status = CLIENT_CLOSED_REQUEST
                raise
            else:
                status = response.status
                return response
            finally:
                _finish(span, status)

    return trace


def _finish(span: Span, status: int) -> None:
    """Status code attribute; 5xx (and 499) mark the span as an error, 4xx do not."""
    span.set_attribute(http_attributes.HTTP_RESPONSE_STATUS_CODE, status)
    if status >= 500 or status == CLIENT_CLOSED_REQUEST:  # noqa: PLR2004 - HTTP classes
        span.set_attribute(error_attributes.ERROR_TYPE, str(status))
        span.set_status(StatusCode.ERROR)
