"""The MongoDB client's lifecycle and the readiness ping."""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING, Any

import pymongo
import structlog
from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from app import __version__, keys
from app.errors import DatabaseUnavailable

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from aiohttp import web

logger = structlog.get_logger("app.db")


async def mongo_client_context(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: the client exists exactly as long as the app runs.

    The client connects lazily, so start-up survives a database outage;
    readiness stays 503 until the first successful ping.
    """
    settings = app[keys.SETTINGS]
    timeout_ms = int(settings.mongodb_timeout_seconds * 1000)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongodb_uri.get_secret_value(),
        appname=f"users-api/{__version__}",
        timeoutMS=timeout_ms,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        maxPoolSize=settings.mongodb_max_pool_size,
        tz_aware=True,
        tzinfo=UTC,
        event_listeners=app[keys.MONGO_EVENT_LISTENERS],
    )
    app[keys.MONGO_CLIENT] = client
    logger.info("mongodb_client_created", database=settings.mongodb_database)
    yield
    await client.close()
    logger.info("mongodb_client_closed")


async def ping(client: AsyncMongoClient[dict[str, Any]], *, timeout_seconds: float) -> None:
    """Round-trip to the server; DatabaseUnavailable with the reason if it does not answer."""
    try:
        with pymongo.timeout(timeout_seconds):
            await client.admin.command("ping")
    except PyMongoError as error:
        raise DatabaseUnavailable(type(error).__name__) from error
