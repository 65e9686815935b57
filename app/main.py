"""The composition root: create_app() wires settings, middlewares, routes and resources."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson
from aiohttp import web
from prometheus_client.aiohttp import make_aiohttp_handler

from app import keys
from app.db import mongo_client_context
from app.observability.health import Readiness, get_healthz, get_readyz
from app.observability.inflight import InFlight
from app.observability.metrics import Metrics
from app.observability.middleware import make_observability_middleware
from app.observability.tracing import start_tracing
from app.openapi import build_openapi
from app.overload import DatabaseAdmission
from app.problems import problems_middleware
from app.protection.upload_budget import UploadBudget, make_upload_budget_middleware
from app.security.setup import build_security
from app.users.repository import user_repository_context
from app.users.routes import user_routes
from app.users.validator import collection_validator_context

if TYPE_CHECKING:
    from app.settings import Settings

# Open whatever AUTH_MODE says: kubelets, Prometheus and API clients need them
# without credentials (a NetworkPolicy guards who reaches the port at all).
PUBLIC_ROUTES = frozenset({"/healthz", "/readyz", "/metrics", "/openapi.json"})


async def get_openapi(request: web.Request) -> web.Response:
    """GET /openapi.json."""
    return web.Response(body=request.app[keys.OPENAPI_DOCUMENT], content_type="application/json")


def create_app(settings: Settings) -> web.Application:
    """Build the application; no I/O happens until it starts."""
    metrics = Metrics()
    in_flight = InFlight()
    readiness = Readiness(cache_seconds=settings.readiness_cache_seconds)
    tracing = start_tracing(settings, dropped=metrics.spans_dropped)  # None: OTEL_* unset
    observability = make_observability_middleware(
        metrics=metrics,
        in_flight=in_flight,
        readiness=readiness,
        exemplar=tracing.exemplar if tracing else None,
    )
    upload_budget = UploadBudget(capacity_bytes=settings.effective_upload_budget_bytes)
    metrics.upload_budget_bytes.set(upload_budget.capacity_bytes)
    metrics.upload_reserved_bytes.set_function(lambda: upload_budget.reserved_bytes)
    limit_uploads = make_upload_budget_middleware(
        budget=upload_budget, max_body_bytes=settings.max_body_bytes
    )
    security = build_security(settings, registry=metrics.registry, public_routes=PUBLIC_ROUTES)
    readiness.add_gate(security.not_ready_reason)
    # Outermost first: observability sees the status problems_middleware
    # produced; security admits or refuses a matched route before anything else,
    # so anonymous callers cannot reserve upload budget; the budget refuses
    # before a handler reads a byte; tracing wraps them all, so the access log
    # line carries the trace id.
    middlewares = [observability, problems_middleware, *security.middlewares, limit_uploads]
    if tracing:
        middlewares.insert(0, tracing.middleware())
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=middlewares)
    app[keys.SETTINGS] = settings
    app[keys.METRICS] = metrics
    app[keys.IN_FLIGHT] = in_flight
    app[keys.READINESS] = readiness
    app[keys.UPLOAD_BUDGET] = upload_budget
    admission = DatabaseAdmission(limit=settings.in_flight_limit, on_shed=metrics.requests_shed.inc)
    metrics.mongodb_operations_in_flight.set_function(lambda: admission.in_flight)
    app[keys.ADMISSION] = admission
    app[keys.OPENAPI_DOCUMENT] = orjson.dumps(build_openapi(authenticated=security.enabled))
    app[keys.MONGO_EVENT_LISTENERS] = [tracing.mongodb_listener()] if tracing else []
    if tracing:
        # First in, last out: spans of the database client's close are flushed too.
        app.cleanup_ctx.append(tracing.cleanup_context)
    app.cleanup_ctx.extend(
        [
            mongo_client_context,
            user_repository_context,
            collection_validator_context,
            *security.cleanup_contexts,
        ]
    )
    app.add_routes(
        [
            *user_routes(),
            web.get("/healthz", get_healthz),
            web.get("/readyz", get_readyz),
            web.get("/metrics", make_aiohttp_handler(metrics.registry)),
            web.get("/openapi.json", get_openapi),
        ]
    )
    return app
