"""The app in the test's own event loop, on its own database of the session's server."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest
from pymongo import AsyncMongoClient

from app.main import create_app
from app.settings import Settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from pymongo.asynchronous.collection import AsyncCollection

    from tests.support.client import AppClient, ClientFactory


@pytest.fixture
async def settings(ferretdb_uri: str) -> AsyncIterator[Settings]:
    """Settings pointing at a database of this test's own, dropped afterwards."""
    database = f"test_{uuid.uuid4().hex[:16]}"
    yield Settings(mongodb_uri=ferretdb_uri, mongodb_database=database)
    admin: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(ferretdb_uri, timeoutMS=5000)
    await admin.drop_database(database)
    await admin.close()


@pytest.fixture
async def client(aiohttp_client: ClientFactory, settings: Settings) -> AppClient:
    """An HTTP client for a freshly created app."""
    return await aiohttp_client(create_app(settings))


@pytest.fixture
async def users(settings: Settings) -> AsyncIterator[AsyncCollection[dict[str, Any]]]:
    """The service's collection, written to directly as another tool would."""
    raw: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongodb_uri.get_secret_value(), timeoutMS=5000
    )
    yield raw[settings.mongodb_database]["users"]
    await raw.close()
