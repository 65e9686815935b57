"""PUT and DELETE /users/{id}."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.support.client import AppClient


async def test_put_renames_and_keeps_creation_time(client: AppClient) -> None:
    created = await (await client.post("/users", json={"id": 3, "name": "Bob"})).json()
    await asyncio.sleep(0.01)
    response = await client.put("/users/3", json={"name": "Robert"})
    assert response.status == 200
    updated = await response.json()
    assert updated["name"] == "Robert"
    assert updated["created_at"] == created["created_at"]
    assert updated["updated_at"] > created["updated_at"]
    assert await (await client.get("/users/3")).json() == updated


async def test_put_with_matching_id_in_body_is_accepted(client: AppClient) -> None:
    await client.post("/users", json={"id": 3, "name": "Bob"})
    response = await client.put("/users/3", json={"id": 3, "name": "Bobby"})
    assert response.status == 200
    assert (await response.json())["name"] == "Bobby"


async def test_put_with_other_id_in_body_returns_422_and_changes_nothing(
    client: AppClient,
) -> None:
    await client.post("/users", json={"id": 3, "name": "Bob"})
    response = await client.put("/users/3", json={"id": 4, "name": "Mallory"})
    assert response.status == 422
    problem = await response.json(content_type="application/problem+json")
    assert problem["errors"][0]["pointer"] == "#/id"
    assert (await (await client.get("/users/3")).json())["name"] == "Bob"
    assert (await client.get("/users/4")).status == 404


async def test_put_on_absent_user_returns_404_and_creates_nothing(client: AppClient) -> None:
    response = await client.put("/users/8", json={"name": "Ghost"})
    assert response.status == 404
    assert (await client.get("/users/8")).status == 404


@pytest.mark.parametrize(
    "body",
    [{"name": ""}, {"name": 5}, {"name": "ok", "extra": 1}, {"$set": {"name": "x"}}, {}],
)
async def test_put_with_invalid_body_returns_422_and_changes_nothing(
    client: AppClient, body: object
) -> None:
    await client.post("/users", json={"id": 3, "name": "Bob"})
    response = await client.put("/users/3", json=body)
    assert response.status == 422
    assert (await (await client.get("/users/3")).json())["name"] == "Bob"


async def test_put_with_malformed_json_returns_400(client: AppClient) -> None:
    await client.post("/users", json={"id": 3, "name": "Bob"})
    assert (await client.put("/users/3", data=b"{name: Bob}")).status == 400


async def test_delete_removes_the_user_once(client: AppClient) -> None:
    await client.post("/users", json={"id": 5, "name": "Eve"})
    deleted = await client.delete("/users/5")
    assert deleted.status == 204
    assert await deleted.read() == b""
    assert (await client.get("/users/5")).status == 404
    assert (await client.delete("/users/5")).status == 404


async def test_delete_with_bad_id_returns_422(client: AppClient) -> None:
    assert (await client.delete("/users/zero")).status == 422
