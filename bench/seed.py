"""A known data set: an empty database, then users 1..N created through the API itself."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import uvloop
from pymongo import MongoClient

# The service's collection (app/users/repository.py). Written out, not imported: the
# harness reaches the service only through HTTP and the database, as a client would.
USERS_COLLECTION = "users"
SEED_CONCURRENCY = 16
SEED_TIMEOUT_SECONDS = 300
QUIET_MILLISECONDS = 50
QUIET_CALLS = 3
QUIET_TIMEOUT_SECONDS = 60


def drop_database(uri: str, database: str) -> None:
    """Start from nothing, so ids created by an earlier run cannot collide."""
    client: MongoClient[dict[str, Any]] = MongoClient(uri, timeoutMS=10_000)
    with client:
        client.drop_database(database)


def wait_until_quiet(uri: str, database: str) -> float:
    """Wait (bounded) until a lookup by id is fast again; the seconds it took.

    A scenario that overloads the database (timed-out page walks) leaves queries
    running after its clients left; the next scenario must not pay for them.
    """
    started = time.monotonic()
    client: MongoClient[dict[str, Any]] = MongoClient(uri, timeoutMS=QUIET_TIMEOUT_SECONDS * 1000)
    with client:
        collection = client[database][USERS_COLLECTION]
        fast_in_a_row = 0
        while fast_in_a_row < QUIET_CALLS and time.monotonic() - started < QUIET_TIMEOUT_SECONDS:
            call_started = time.monotonic()
            collection.find_one({"_id": 1})
            fast = time.monotonic() - call_started < QUIET_MILLISECONDS / 1000
            fast_in_a_row = fast_in_a_row + 1 if fast else 0
            time.sleep(0.1)
    return time.monotonic() - started


async def _create_users(base_url: str, users: int) -> None:
    ids = iter(range(1, users + 1))
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(base_url, timeout=timeout) as session:

        async def create_next() -> None:
            for user_id in ids:
                body = {"id": user_id, "name": f"seed user {user_id}"}
                async with session.post("/users", json=body) as response:
                    if response.status != 201:  # noqa: PLR2004
                        text = await response.text()
                        raise RuntimeError(f"seeding user {user_id}: {response.status} {text}")

        async with asyncio.timeout(SEED_TIMEOUT_SECONDS):
            await asyncio.gather(*(create_next() for _ in range(SEED_CONCURRENCY)))


def seed_users(base_url: str, users: int) -> None:
    """POST /users for ids 1..users (bounded in time); RuntimeError on any non-201."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(_create_users(base_url, users))
