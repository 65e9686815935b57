"""ETag, If-None-Match (304) and If-Match (412): no lost updates between clients."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from tests.api.stored import complete

if TYPE_CHECKING:
    from pymongo.asynchronous.collection import AsyncCollection

    from tests.api.stored import Document
    from tests.support.client import AppClient


async def test_every_user_response_carries_a_strong_etag(client: AppClient) -> None:
    created = await client.post("/users", json={"id": 7, "name": "Ann"})
    tag = created.headers["ETag"]
    assert tag.startswith('"')
    for path in ("/users/7", "/users?id=7"):
        assert (await client.get(path)).headers["ETag"] == tag
    renamed = await client.put("/users/7", json={"name": "Bea"})
    assert renamed.headers["ETag"] not in ("", tag)
    assert (await client.get("/users/7")).headers["ETag"] == renamed.headers["ETag"]


async def test_get_with_current_etag_is_304_and_after_a_change_200(client: AppClient) -> None:
    tag = (await client.post("/users", json={"id": 7, "name": "Ann"})).headers["ETag"]
    cached = await client.get("/users/7", headers={"If-None-Match": tag})
    assert cached.status == 304
    assert cached.headers["ETag"] == tag
    assert await cached.read() == b""
    await client.put("/users/7", json={"name": "Bea"})
    fresh = await client.get("/users/7", headers={"If-None-Match": tag})
    assert fresh.status == 200
    assert (await fresh.json())["name"] == "Bea"


async def test_put_with_stale_if_match_is_412_and_changes_nothing(client: AppClient) -> None:
    stale = (await client.post("/users", json={"id": 7, "name": "Ann"})).headers["ETag"]
    assert (await client.put("/users/7", json={"name": "Bea"})).status == 200
    refused = await client.put("/users/7", json={"name": "Eve"}, headers={"If-Match": stale})
    assert refused.status == 412
    problem = await refused.json(content_type="application/problem+json")
    assert problem["type"].endswith("/precondition-failed")
    assert (await (await client.get("/users/7")).json())["name"] == "Bea"


async def test_put_and_delete_with_current_if_match_succeed(client: AppClient) -> None:
    tag = (await client.post("/users", json={"id": 7, "name": "Ann"})).headers["ETag"]
    renamed = await client.put("/users/7", json={"name": "Bea"}, headers={"If-Match": tag})
    assert renamed.status == 200
    stale_delete = await client.delete("/users/7", headers={"If-Match": tag})
    assert stale_delete.status == 412
    assert (await client.get("/users/7")).status == 200
    current = renamed.headers["ETag"]
    assert (await client.delete("/users/7", headers={"If-Match": current})).status == 204


@pytest.mark.parametrize("header", ["", "garbage", 'W/"1-1"', '"not-ours"'])
async def test_if_match_that_can_never_match_is_412_or_404_and_writes_nothing(
    client: AppClient, header: str
) -> None:
    await client.post("/users", json={"id": 7, "name": "Ann"})
    for method in ("PUT", "DELETE"):
        response = await client.request(
            method, "/users/7", json={"name": "Bea"}, headers={"If-Match": header}
        )
        assert response.status == 412, await response.text()
    assert (await (await client.get("/users/7")).json())["name"] == "Ann"
    absent = await client.put("/users/8", json={"name": "x"}, headers={"If-Match": header})
    assert absent.status == 404


async def test_if_match_on_absent_user_is_404(client: AppClient) -> None:
    response = await client.put("/users/7", json={"name": "x"}, headers={"If-Match": '"1-1"'})
    assert response.status == 404
    assert (await client.delete("/users/7", headers={"If-Match": "*"})).status == 404


async def test_etag_of_a_deleted_and_recreated_user_does_not_match(client: AppClient) -> None:
    old = (await client.post("/users", json={"id": 7, "name": "Ann"})).headers["ETag"]
    await client.delete("/users/7")
    await asyncio.sleep(0.005)  # creation times are in milliseconds
    await client.post("/users", json={"id": 7, "name": "Other Ann"})
    response = await client.put("/users/7", json={"name": "x"}, headers={"If-Match": old})
    assert response.status == 412


async def test_user_stored_before_versions_existed_takes_conditional_writes(
    client: AppClient, users: AsyncCollection[Document]
) -> None:
    await users.insert_many(
        [complete(7), {"_id": 8, "name": "no times"}], bypass_document_validation=True
    )
    for user_id in (7, 8):
        tag = (await client.get(f"/users/{user_id}")).headers["ETag"]
        first = await client.put(f"/users/{user_id}", json={"name": "B"}, headers={"If-Match": tag})
        assert first.status == 200, await first.text()
        again = await client.put(f"/users/{user_id}", json={"name": "C"}, headers={"If-Match": tag})
        assert again.status == 412
    stored = await users.find_one({"_id": 7})
    assert stored is not None
    assert stored["version"] == 1


async def _increment_until(client: AppClient, successes: int, counts: dict[str, int]) -> None:
    """Read-modify-write the counter in the user's name with If-Match until `successes` land."""
    done = 0
    while done < successes:
        read = await client.get("/users/1")
        counter = int((await read.json())["name"].removeprefix("count "))
        write = await client.put(
            "/users/1",
            json={"name": f"count {counter + 1}"},
            headers={"If-Match": read.headers["ETag"]},
        )
        counts[str(write.status)] = counts.get(str(write.status), 0) + 1
        if write.status == 200:
            done += 1
        else:
            assert write.status == 412, await write.text()


async def test_concurrent_read_modify_write_with_if_match_loses_no_update(
    client: AppClient,
) -> None:
    clients, per_client = 8, 10
    await client.post("/users", json={"id": 1, "name": "count 0"})
    counts: dict[str, int] = {}
    await asyncio.gather(*(_increment_until(client, per_client, counts) for _ in range(clients)))
    final = int((await (await client.get("/users/1")).json())["name"].removeprefix("count "))
    print(
        f"\nif-match read-modify-write: {clients} clients, {counts.get('200', 0)} writes 2xx, "
        f"{counts.get('412', 0)} refused 412, final counter {final}"
    )
    assert final == counts["200"] == clients * per_client


async def test_without_if_match_concurrent_writers_can_lose_updates(client: AppClient) -> None:
    """The control: the same workload unconditionally, to show what If-Match prevents."""
    await client.post("/users", json={"id": 1, "name": "count 0"})
    writes = 0

    async def blind_increments() -> None:
        nonlocal writes
        for _ in range(10):
            counter = int((await (await client.get("/users/1")).json())["name"][6:])
            await client.put("/users/1", json={"name": f"count {counter + 1}"})
            writes += 1

    await asyncio.gather(*(blind_increments() for _ in range(8)))
    final = int((await (await client.get("/users/1")).json())["name"][6:])
    print(f"\nunconditional read-modify-write: {writes} writes 2xx, final counter {final}")
    assert final <= writes
