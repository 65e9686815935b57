"""Serving and graceful shutdown, in the order Kubernetes needs.

SIGTERM -> readiness 503 at once -> keep serving for SHUTDOWN_DELAY_SECONDS
(endpoints controllers and load balancers stop routing here) -> stop
accepting -> let in-flight requests finish within SHUTDOWN_TIMEOUT_SECONDS
-> close the database client -> exit 0.
"""

from __future__ import annotations

import asyncio
import signal
from typing import TYPE_CHECKING

import structlog
from aiohttp import web

from app import keys
from app.main import create_app

if TYPE_CHECKING:
    from app.settings import Settings

logger = structlog.get_logger("app.lifecycle")


async def serve(settings: Settings) -> None:
    """Run the service until SIGTERM or SIGINT, then shut down gracefully."""
    app = create_app(settings)
    runner = web.AppRunner(
        app,
        handle_signals=False,
        access_log=None,  # the observability middleware writes the access log
        shutdown_timeout=settings.shutdown_timeout_seconds,
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

    app[keys.READINESS].shutting_down = True
    logger.info("shutdown_started", delay_seconds=settings.shutdown_delay_seconds)
    await asyncio.sleep(settings.shutdown_delay_seconds)
    logger.info("draining", timeout_seconds=settings.shutdown_timeout_seconds)
    # Stops listening, closes idle keep-alive connections, waits for running
    # handlers up to shutdown_timeout, then runs the cleanup contexts.
    await runner.cleanup()
    logger.info("shutdown_complete")
