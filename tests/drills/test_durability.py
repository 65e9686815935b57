"""Write durability: 1,000 concurrent creates with colliding ids lose nothing and invent nothing.

200 connections are more than the default bound on database calls in flight, so some creates
are shed with 503 `overloaded`; the client retries those after Retry-After, as a client of
the API should, and a shed create must have written nothing.
"""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING

import aiohttp

if TYPE_CHECKING:
    from tests.support.app_process import AppProcess

CREATES = 1000
ID_SPACE = 600  # fewer ids than requests, so many collide
MAX_ATTEMPTS = 20
OVERLOADED = "tag:users-api,2026:problems/overloaded"


async def test_concurrent_creates_with_duplicate_ids_keep_every_acknowledged_write(
    service: AppProcess,
) -> None:
    rng = random.Random(2026)  # noqa: S311 - test data, not secrets
    requests = [(rng.randint(1, ID_SPACE), f"writer {n}") for n in range(CREATES)]
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(service.base_url, connector=connector) as session:
        shed = 0

        async def create(user_id: int, name: str) -> tuple[int, str, int]:
            nonlocal shed
            for _ in range(MAX_ATTEMPTS):
                async with session.post("/users", json={"id": user_id, "name": name}) as response:
                    if response.status != 503:
                        return user_id, name, response.status
                    assert (await response.json())["type"] == OVERLOADED
                    retry_after = float(response.headers["Retry-After"])
                shed += 1
                await asyncio.sleep(retry_after * rng.random())  # spread the retries out
            return user_id, name, 503

        outcomes = await asyncio.gather(*(create(user_id, name) for user_id, name in requests))

        stored: dict[int, str] = {}
        after: int | None = None
        while True:
            params = {"limit": "1000"} | ({"after": str(after)} if after else {})
            async with session.get("/users", params=params) as response:
                page = await response.json()
            stored.update({user["id"]: user["name"] for user in page["items"]})
            if (after := page["next_after"]) is None:
                break

    acknowledged = {user_id: name for user_id, name, status in outcomes if status == 201}
    conflicts = [user_id for user_id, _, status in outcomes if status == 409]
    assert sorted({status for *_, status in outcomes}) == [201, 409]
    assert len(acknowledged) == sum(status == 201 for *_, status in outcomes)  # one 201 per id
    assert set(conflicts) <= set(acknowledged)  # every 409 was a real duplicate
    assert len(acknowledged) == len({user_id for user_id, _ in requests})
    assert stored == acknowledged  # every 201 readable, with the name that won; nothing else
    print(
        f"{len(acknowledged)} created (201), {len(conflicts)} duplicates (409), "
        f"{shed} shed (503 overloaded, retried)"
    )
