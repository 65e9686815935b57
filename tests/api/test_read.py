"""GET /users/{id}, the seed's GET /users?id=N, and keyset pagination."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.support.client import AppClient


async def create(client: AppClient, *ids: int) -> None:
    for user_id in ids:
        response = await client.post("/users", json={"id": user_id, "name": f"user {user_id}"})
        assert response.status == 201


async def walk(client: AppClient, limit: int) -> list[list[int]]:
    """Follow next_after from the first page to the last; the ids of each page."""
    pages: list[list[int]] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        response = await client.get("/users", params=params)
        assert response.status == 200
        page = await response.json()
        pages.append([user["id"] for user in page["items"]])
        if page["next_after"] is None:
            return pages
        assert page["next_after"] == pages[-1][-1]
        params["after"] = page["next_after"]


@pytest.mark.parametrize("path", ["/users/404", "/users?id=404"])
async def test_absent_user_returns_404_problem(client: AppClient, path: str) -> None:
    response = await client.get(path)
    assert response.status == 404
    problem = await response.json(content_type="application/problem+json")
    assert problem["type"].endswith("/user-not-found")
    assert problem["status"] == 404


@pytest.mark.parametrize(
    "text",
    ["abc", "0", "-1", "1.5", "+1", " 1", "1e3", "9223372036854775808", "9" * 5000, "\u0661"],
)
async def test_id_that_is_not_a_user_id_returns_422(client: AppClient, text: str) -> None:
    for response in (
        await client.get(f"/users/{text}"),
        await client.get("/users", params={"id": text}),
    ):
        assert response.status == 422
        problem = await response.json(content_type="application/problem+json")
        assert problem["errors"][0]["parameter"] == "id"


async def test_page_walk_visits_every_user_exactly_once_in_id_order(client: AppClient) -> None:
    ids = [*random.Random(7).sample(range(2, 2**63 - 1), 11), 1, 2**63 - 1]  # noqa: S311
    await create(client, *ids)
    pages = await walk(client, limit=5)
    assert [len(page) for page in pages] == [5, 5, 3]
    assert [user_id for page in pages for user_id in page] == sorted(ids)


async def test_last_page_says_there_is_no_next_page(client: AppClient) -> None:
    await create(client, 1, 2, 3, 4)
    assert await walk(client, limit=2) == [[1, 2], [3, 4]]
    assert await walk(client, limit=4) == [[1, 2, 3, 4]]


async def test_default_page_size_is_50(client: AppClient) -> None:
    await create(client, *range(1, 52))
    page = await (await client.get("/users")).json()
    assert len(page["items"]) == 50
    assert page["next_after"] == 50


async def test_empty_collection_lists_no_users(client: AppClient) -> None:
    assert await (await client.get("/users")).json() == {"items": [], "next_after": None}


async def test_limit_of_1000_is_accepted(client: AppClient) -> None:
    assert (await client.get("/users", params={"limit": "1000"})).status == 200


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("after=-5", "after"),
        ("after=x", "after"),
        ("limit=5&limit=6", "limit"),
        ("sort=name", "sort"),
        ("id=1&limit=5", "limit"),
    ],
)
async def test_bad_query_parameter_returns_422_naming_it(
    client: AppClient, query: str, parameter: str
) -> None:
    response = await client.get(f"/users?{query}")
    assert response.status == 422
    problem = await response.json(content_type="application/problem+json")
    assert parameter in [error["parameter"] for error in problem["errors"]]
