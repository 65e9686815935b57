"""The collection validator: applied in the background, idempotent, never in start-up's way."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
import structlog
from pymongo.errors import WriteError

from app.main import create_app
from app.settings import Settings
from app.users.validator import apply_validator
from tests.api.stored import complete
from tests.support.ports import free_port

if TYPE_CHECKING:
    from pymongo.asynchronous.collection import AsyncCollection

    from tests.api.stored import Document
    from tests.support.client import ClientFactory

DOCUMENT_VALIDATION_FAILURE = 121


async def server_is_ferretdb(users: AsyncCollection[Document]) -> bool:
    info = await users.database.client.admin.command("buildInfo")
    return "ferretdbVersion" in info


async def test_validator_is_idempotent_and_refuses_what_the_service_cannot_serve(
    users: AsyncCollection[Document],
) -> None:
    outcomes = [await apply_validator(users.database) for _ in range(2)]
    assert outcomes[0] == outcomes[1]
    if outcomes[0] == "unsupported":
        # FerretDB v1.24.2 answers NotImplemented to `validator`: say so, store as before.
        assert await server_is_ferretdb(users)
        await users.insert_one({"_id": 5, "name": "x"})
        return
    assert outcomes[0] == "applied"
    await users.insert_one({**complete(1), "version": 1})
    for foreign in (
        {"_id": 5, "name": "x"},  # no timestamps
        {**complete(2.5), "version": 1},
        {**complete(6), "name": 7, "version": 1},
        {"id": 2, "name": "Alice"},  # the tutorial's layout
    ):
        with pytest.raises(WriteError) as refused:
            await users.insert_one(foreign)
        assert refused.value.code == DOCUMENT_VALIDATION_FAILURE


async def test_service_applies_the_validator_in_the_background(
    aiohttp_client: ClientFactory, settings: Settings, users: AsyncCollection[Document]
) -> None:
    expected = "unsupported" if await server_is_ferretdb(users) else "applied"
    with structlog.testing.capture_logs() as logs:
        client = await aiohttp_client(create_app(settings))
        for _ in range(100):
            outcomes = [log["outcome"] for log in logs if log["event"] == "collection_validator"]
            if outcomes:
                break
            await asyncio.sleep(0.05)
    assert outcomes == [expected]
    assert (await client.post("/users", json={"id": 1, "name": "Ann"})).status == 201


async def test_start_up_does_not_wait_for_the_validator_when_the_database_is_down(
    aiohttp_client: ClientFactory, settings: Settings
) -> None:
    down = Settings(
        mongodb_uri=f"mongodb://127.0.0.1:{free_port()}",
        mongodb_database=settings.mongodb_database,
        mongodb_timeout_seconds=1,
    )
    async with asyncio.timeout(5):
        client = await aiohttp_client(create_app(down))
        assert (await client.get("/healthz")).status == 200
        assert (await client.get("/readyz")).status == 503
