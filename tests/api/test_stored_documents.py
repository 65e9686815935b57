"""Documents this service did not write: tolerant reads, strict writes (README, "Stored data").

Each test seeds the collection the way another tool would (a shell, an older
version, mongo-express) and asserts what a client of the API sees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from bson import Binary, Int64, ObjectId, Timestamp
from bson.datetime_ms import DatetimeMS

from tests.api.stored import complete
from tests.api.test_observability import labels, metric_samples

if TYPE_CHECKING:
    from pymongo.asynchronous.collection import AsyncCollection

    from tests.api.stored import Document
    from tests.support.client import AppClient


async def all_pages(client: AppClient, limit: int) -> list[int]:
    ids: list[int] = []
    params: dict[str, Any] = {"limit": limit}
    for _ in range(100):
        response = await client.get("/users", params=params)
        assert response.status == 200, await response.text()
        page = await response.json()
        ids += [user["id"] for user in page["items"]]
        if page["next_after"] is None:
            return ids
        assert isinstance(page["next_after"], int)
        params["after"] = page["next_after"]
    raise AssertionError("the page walk never ended")


async def test_user_without_timestamps_is_served_with_null_times(
    client: AppClient, users: AsyncCollection[Document]
) -> None:
    await users.insert_one({"_id": 5, "name": "x"}, bypass_document_validation=True)
    for path in ("/users/5", "/users?id=5"):
        response = await client.get(path)
        assert response.status == 200
        assert await response.json() == {
            "id": 5,
            "name": "x",
            "created_at": None,
            "updated_at": None,
        }
    page = await (await client.get("/users")).json()
    assert [user["id"] for user in page["items"]] == [5]


@pytest.mark.parametrize(
    "odd",
    [
        "2026-01-02",
        Binary(b"\x00\x01"),
        Timestamp(1_700_000_000, 1),
        DatetimeMS(2**62),  # year ~146 million: beyond Python's datetime
        DatetimeMS(-(2**62)),
        None,
    ],
    ids=["string", "binary", "bson-timestamp", "far-future", "far-past", "null"],
)
async def test_odd_timestamp_values_read_as_null(
    client: AppClient, users: AsyncCollection[Document], odd: object
) -> None:
    await users.insert_many(
        [complete(1), {**complete(2), "created_at": odd, "updated_at": odd}],
        bypass_document_validation=True,
    )
    response = await client.get("/users/2")
    assert response.status == 200
    body = await response.json()
    assert (body["created_at"], body["updated_at"]) == (None, None)
    assert await all_pages(client, limit=1) == [1, 2]


async def test_integral_double_id_is_served_as_an_integer_and_pages_continue(
    client: AppClient, users: AsyncCollection[Document]
) -> None:
    await users.insert_many(
        [complete(1), complete(2.0), complete(Int64(3)), complete(4)],
        bypass_document_validation=True,
    )
    response = await client.get("/users/2")
    assert response.status == 200
    assert (await response.json())["id"] == 2
    assert "2.0" not in await response.text()
    assert await all_pages(client, limit=1) == [1, 2, 3, 4]
    assert await all_pages(client, limit=2) == [1, 2, 3, 4]


@pytest.mark.parametrize(
    "foreign_id",
    # NaN is covered by tests/unit/test_documents.py: FerretDB drops the connection on it.
    [ObjectId(), "7", 2.5, 3.5, -3, 0, Binary(b"\x07"), 2.0**64],
    ids=[
        "objectid",
        "string",
        "fraction",
        "fraction-after",
        "negative",
        "zero",
        "binary",
        "huge",
    ],
)
async def test_foreign_ids_never_break_pages(
    client: AppClient, users: AsyncCollection[Document], foreign_id: object
) -> None:
    await users.insert_many(
        [complete(1), complete(foreign_id), complete(3), complete(9)],
        bypass_document_validation=True,
    )
    for limit in (1, 2, 50):
        assert await all_pages(client, limit=limit) == [1, 3, 9]


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", None), ("name", 5), ("name", ""), ("name", "x" * 5000), ("name", Binary(b"n"))],
    ids=["missing", "number", "empty", "too-long", "binary"],
)
async def test_user_with_unusable_name_is_skipped_from_pages_and_refused_on_lookup(
    client: AppClient, users: AsyncCollection[Document], field: str, value: object
) -> None:
    broken = complete(2)
    if value is None:
        del broken[field]
    else:
        broken[field] = value
    await users.insert_many([complete(1), broken, complete(3)], bypass_document_validation=True)
    for limit in (1, 2, 50):
        assert await all_pages(client, limit=limit) == [1, 3]
    response = await client.get("/users/2")
    assert response.status == 409
    problem = await response.json(content_type="application/problem+json")
    assert problem["type"].endswith("/stored-user-unusable")
    assert "name" in problem["detail"]
    samples = await metric_samples(client)
    assert samples["users_unusable_documents_total", labels(field="name")] >= 4


async def test_put_repairs_a_user_whose_name_was_unusable(
    client: AppClient, users: AsyncCollection[Document]
) -> None:
    await users.insert_one({"_id": 2, "name": 17}, bypass_document_validation=True)
    response = await client.put("/users/2", json={"name": "Fixed"})
    assert response.status == 200
    body = await response.json()
    assert body["name"] == "Fixed"
    assert body["created_at"] is None
    assert body["updated_at"] is not None
    assert (await client.get("/users/2")).status == 200


@pytest.mark.parametrize(
    "odd",
    [Binary(b"\x00"), Timestamp(1, 1), DatetimeMS(2**62), "x"],
    ids=["binary", "bson-timestamp", "far-future", "string"],
)
async def test_put_on_user_with_odd_values_answers_2xx_or_a_problem_never_5xx(
    client: AppClient, users: AsyncCollection[Document], odd: object
) -> None:
    await users.insert_one(
        {"_id": 2.0, "name": "Ann", "created_at": odd, "updated_at": odd},
        bypass_document_validation=True,
    )
    response = await client.put("/users/2", json={"name": "Bea"})
    assert response.status == 200, await response.text()
    body = await response.json()
    assert (body["id"], body["name"], body["created_at"]) == (2, "Bea", None)
    assert (await client.delete("/users/2")).status == 204


async def test_write_refused_by_a_foreign_version_field_changes_nothing(
    client: AppClient, users: AsyncCollection[Document]
) -> None:
    await users.insert_one({**complete(2), "version": "seven"}, bypass_document_validation=True)
    response = await client.put("/users/2", json={"name": "Bea"})
    assert response.status == 409
    problem = await response.json(content_type="application/problem+json")
    assert problem["type"].endswith("/stored-user-unusable")
    stored = await users.find_one({"_id": 2})
    assert stored is not None
    assert (stored["name"], stored["version"]) == ("Ann", "seven")
    assert (await client.delete("/users/2")).status == 204
