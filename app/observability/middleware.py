"""One pass per request: request id, metrics and the access log."""

from __future__ import annotations

import asyncio
import re
import uuid
from time import perf_counter
from typing import TYPE_CHECKING

import structlog
from aiohttp import web

if TYPE_CHECKING:
    from aiohttp.typedefs import Handler, Middleware

    from app.observability.health import Readiness
    from app.observability.inflight import InFlight
    from app.observability.metrics import Metrics

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is echoed into logs and headers, so only plain tokens pass.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+/=@-]{1,128}")
# Label values must stay bounded whatever clients send.
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"
CLIENT_CLOSED_REQUEST = 499  # nginx's convention for a client that went away


def route_template(request: web.Request) -> str:
    """The matched route's template (`/users/{id}`), never the raw path."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED_ROUTE


def make_observability_middleware(
    *, metrics: Metrics, in_flight: InFlight, readiness: Readiness
) -> Middleware:
    """Build the outermost middleware, so it sees the final status of every request."""
    access_log = structlog.get_logger("app.access")
    metrics.requests_in_flight.set_function(lambda: in_flight.count)

    @web.middleware
    async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        method = request.method if request.method in _KNOWN_METHODS else "other"
        status = 500
        started = perf_counter()
        in_flight.enter()
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                response = await handler(request)
            except web.HTTPException as redirect:  # errors became responses already
                status = redirect.status
                redirect.headers[REQUEST_ID_HEADER] = request_id
                raise
            except asyncio.CancelledError:
                status = CLIENT_CLOSED_REQUEST
                raise
            else:
                status = response.status
                response.headers[REQUEST_ID_HEADER] = request_id
                if readiness.shutting_down:
                    # Close keep-alive connections so clients reconnect to pods
                    # that are staying.
                    response.force_close()
                return response
            finally:
                elapsed = perf_counter() - started
                in_flight.leave()
                route = route_template(request)
                labels = (method, route, str(status))
                metrics.requests.labels(*labels).inc()
                metrics.request_seconds.labels(*labels).observe(elapsed)
                access_log.info(
                    "request",
                    method=request.method,
                    route=route,
                    path=request.path,
                    status=status,
                    duration_ms=round(elapsed * 1000, 3),
                )

    return observe
