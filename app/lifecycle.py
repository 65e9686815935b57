"""Serving and graceful shutdown, in the order Kubernetes needs.

SIGTERM -> readiness 503 at once -> keep serving for SHUTDOWN_DELAY_SECONDS
(endpoints controllers and load balancers stop routing here) -> stop
accepting -> let in-flight requests finish within SHUTDOWN_TIMEOUT_SECONDS,
uploads included -> close connections and the database client -> exit 0.
"""

from __future__ import annotations

import asyncio
import signal
from typing import TYPE_CHECKING

import structlog
from aiohttp import web

from app import keys
from app.main import create_app
from app.protection.protocol import ConnectionGuard, GuardedAppRunner

if TYPE_CHECKING:
    from app.settings import Settings

logger = structlog.get_logger("app.lifecycle")


async def serve(settings: Settings) -> None:
    """Run the service until SIGTERM or SIGINT, then shut down gracefully."""
    app = create_app(settings)
    metrics = app[keys.METRICS]
    guard = ConnectionGuard(
        header_timeout_seconds=settings.header_read_timeout_seconds,
        count_protocol_error=lambda error: metrics.protocol_errors.labels(error).inc(),
        count_header_timeout=metrics.header_read_timeouts.inc,
    )
    runner = GuardedAppRunner(
        app,
        guard=guard,
        handle_signals=False,
        access_log=None,  # the observability middleware writes the access log
        # serve() drains first; this is only how long overruns get to observe
        # their cancellation (0 would mean "wait forever" to aiohttp).
        shutdown_timeout=1.0,
    )
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, reuse_address=True)
    await site.start()
    logger.info("server_started", host=settings.host, port=settings.port)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()

    timeout = settings.shutdown_timeout_seconds
    app[keys.READINESS].shutting_down = True
    logger.info("shutdown_started", delay_seconds=settings.shutdown_delay_seconds)
    await asyncio.sleep(settings.shutdown_delay_seconds)
    await site.stop()
    in_flight = app[keys.IN_FLIGHT]
    logger.info("draining", requests=in_flight.count, timeout_seconds=timeout)
    try:
        async with asyncio.timeout(timeout):
            await in_flight.wait_idle()
        drained = True
    except TimeoutError:
        drained = False
    # Closes the (now idle) connections, cancels whatever overran the
    # timeout, then runs the cleanup contexts (the database client).
    await runner.cleanup()
    logger.info("shutdown_complete", drained=drained)
