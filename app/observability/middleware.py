"""One pass per request: request id, metrics and the access log."""

from __future__ import annotations

import asyncio
import logging
import re
from random import getrandbits
from time import perf_counter
from typing import TYPE_CHECKING

import structlog
from aiohttp import web

if TYPE_CHECKING:
    from collections.abc import Callable

    from aiohttp.typedefs import Handler, Middleware

    from app.observability.health import Readiness
    from app.observability.inflight import InFlight
    from app.observability.metrics import Metrics

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is echoed into logs and headers, so only plain tokens pass.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+/=@-]{1,128}")
# Label values must stay bounded whatever clients send.
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Probes and scrapes arrive every few seconds from every kubelet and Prometheus:
# their access lines are debug, so info logs stay about traffic.
_QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
UNMATCHED_ROUTE = "unmatched"
CLIENT_CLOSED_REQUEST = 499  # nginx's convention for a client that went away


def route_template(request: web.Request) -> str:
    """The matched route's template (`/users/{id}`), never the raw path."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED_ROUTE


def make_observability_middleware(
    *,
    metrics: Metrics,
    in_flight: InFlight,
    readiness: Readiness,
    exemplar: Callable[[], dict[str, str] | None] | None = None,
) -> Middleware:
    """Build the outer middleware, so it sees the final status of every request.

    Call it after logging is configured: the access logger is resolved here
    once, since structlog's lazy proxy costs microseconds on every call.
    """
    access_log = structlog.get_logger("app.access").bind()
    metrics.requests_in_flight.set_function(lambda: in_flight.count)
    metrics.ready.set_function(lambda: float(readiness.ready))
    record_request = metrics.request_recorder(exemplar=exemplar)

    @web.middleware
    async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER)
        if incoming is None or not _SANE_REQUEST_ID.fullmatch(incoming):
            # A correlation id, not a secret: the seeded PRNG, not a getrandom()
            # system call per request (os.urandom), which costs more in a VM.
            request_id = f"{getrandbits(128):032x}"
        else:
            request_id = incoming
        # aiohttp runs every request in a task of its own, so a plain bind is
        # request-scoped: nothing leaks into the next request on the connection.
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status = 500
        started = perf_counter()
        in_flight.enter()
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
                # Close keep-alive connections so clients reconnect to pods that stay.
                response.force_close()
            return response
        finally:
            elapsed = perf_counter() - started
            in_flight.leave()
            route = route_template(request)
            method = request.method if request.method in _KNOWN_METHODS else "other"
            record_request(method, route, status, elapsed)
            level = logging.DEBUG if route in _QUIET_ROUTES else logging.INFO
            if access_log.is_enabled_for(level):  # a filtered line's fields are never built
                access_log.log(
                    level,
                    "request",
                    method=request.method,
                    route=route,
                    path=request.path,
                    status=status,
                    duration_ms=round(elapsed * 1000, 3),
                )

    return observe
