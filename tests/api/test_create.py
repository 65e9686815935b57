"""POST /users: creation, strict validation, duplicates and body limits."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from app import keys

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tests.support.client import AppClient

MAX_ID = 2**63 - 1
FORM = {"Content-Type": "application/x-www-form-urlencoded"}  # what `curl --data` sends


async def test_seed_curl_example_creates_and_reads_back_user(client: AppClient) -> None:
    created = await client.post("/users", data=b'{"id": 2, "name": "Alice"}', headers=FORM)
    assert created.status == 201
    assert created.headers["Location"] == "/users/2"
    body = await created.json()
    assert body["id"] == 2
    assert body["name"] == "Alice"
    assert datetime.fromisoformat(body["created_at"]) == datetime.fromisoformat(body["updated_at"])

    fetched = await client.get("/users", params={"id": "2"})
    assert fetched.status == 200
    assert await fetched.json() == body


async def test_largest_id_and_longest_name_are_accepted(client: AppClient) -> None:
    name = "é" * 200
    response = await client.post("/users", json={"id": MAX_ID, "name": name})
    assert response.status == 201
    fetched = await (await client.get(f"/users/{MAX_ID}")).json()
    assert (fetched["id"], fetched["name"]) == (MAX_ID, name)


async def test_duplicate_id_returns_409_problem_and_keeps_the_first(client: AppClient) -> None:
    assert (await client.post("/users", json={"id": 7, "name": "First"})).status == 201
    duplicate = await client.post("/users", json={"id": 7, "name": "Second"})
    assert duplicate.status == 409
    assert duplicate.content_type == "application/problem+json"
    problem = await duplicate.json(content_type=None)
    assert problem["status"] == 409
    assert problem["type"].endswith("/user-exists")
    assert {"type", "title", "status", "detail"} <= problem.keys()
    assert (await (await client.get("/users/7")).json())["name"] == "First"


async def test_concurrent_creates_of_one_id_yield_exactly_one_201(client: AppClient) -> None:
    responses = await asyncio.gather(
        *(client.post("/users", json={"id": 42, "name": f"racer {n}"}) for n in range(20))
    )
    statuses = sorted(response.status for response in responses)
    assert statuses == [201] + [409] * 19


INVALID_BODIES: list[tuple[str, Any, str]] = [
    ("id as string", {"id": "2", "name": "A"}, "#/id"),
    ("id as float", {"id": 2.0, "name": "A"}, "#/id"),
    ("id as boolean", {"id": True, "name": "A"}, "#/id"),
    ("id zero", {"id": 0, "name": "A"}, "#/id"),
    ("id negative", {"id": -1, "name": "A"}, "#/id"),
    ("id above int64", {"id": MAX_ID + 1, "name": "A"}, "#/id"),
    ("id far above int64", {"id": 10**40, "name": "A"}, "#/id"),
    ("id operator object", {"id": {"$gt": 0}, "name": "A"}, "#/id"),
    ("name operator object", {"id": 3, "name": {"$ne": ""}}, "#/name"),
    ("name empty", {"id": 3, "name": ""}, "#/name"),
    ("name too long", {"id": 3, "name": "x" * 201}, "#/name"),
    ("name with newline", {"id": 3, "name": "a\nb"}, "#/name"),
    ("name with C1 control", {"id": 3, "name": "a\u0085b"}, "#/name"),
    ("name null", {"id": 3, "name": None}, "#/name"),
    ("name missing", {"id": 3}, "#/name"),
    ("id missing", {"name": "A"}, "#/id"),
    ("unknown field", {"id": 3, "name": "A", "admin": True}, "#/admin"),
    ("operator at top level", {"id": 3, "name": "A", "$where": "1"}, "#/$where"),
    ("array body", [{"id": 3, "name": "A"}], "#"),
    ("number body", 3, "#"),
]


@pytest.mark.parametrize(
    ("body", "pointer"),
    [case[1:] for case in INVALID_BODIES],
    ids=[case[0] for case in INVALID_BODIES],
)
async def test_invalid_body_returns_422_naming_the_field(
    client: AppClient, body: Any, pointer: str
) -> None:
    response = await client.post("/users", data=json.dumps(body))
    assert response.status == 422
    problem = await response.json(content_type="application/problem+json")
    assert problem["type"].endswith("/validation-error")
    assert pointer in [error["pointer"] for error in problem["errors"]]
    listing = await (await client.get("/users")).json()
    assert listing["items"] == []


@pytest.mark.parametrize(
    "raw",
    [
        b'{"id": 2',
        b"",
        b"not json",
        b'{"id": 1, "name": "\xff\xfe"}',
        b"[" * 60_000,  # under MAX_BODY_BYTES (64 KiB), far over any depth limit
        b'{"id": 1, "name": "a"} trailing',
    ],
    ids=["truncated", "empty", "text", "invalid utf-8", "deep nesting", "trailing garbage"],
)
async def test_malformed_json_returns_400_problem(client: AppClient, raw: bytes) -> None:
    response = await client.post("/users", data=raw)
    assert response.status == 400
    problem = await response.json(content_type="application/problem+json")
    assert problem["type"].endswith("/malformed-json")
    assert problem["detail"]


async def test_lone_surrogate_in_name_is_refused_not_500(client: AppClient) -> None:
    response = await client.post("/users", data=b'{"id": 5, "name": "\\ud800"}')
    assert response.status in {400, 422}
    assert (await client.get("/users/5")).status == 404


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_body_over_max_body_bytes_returns_413_problem(
    client: AppClient, *, chunked: bool
) -> None:
    assert client.app is not None
    limit = client.app[keys.SETTINGS].max_body_bytes
    body = b'{"id": 9, "name": "' + b"a" * limit + b'"}'

    async def stream() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = await client.post("/users", data=stream() if chunked else io.BytesIO(body))
    assert response.status == 413
    problem = await response.json(content_type="application/problem+json")
    assert str(limit) in problem["detail"]
    assert (await client.get("/users/9")).status == 404


async def exchange_with_expect(client: AppClient, *, length: int, body: bytes) -> list[bytes]:
    """Send headers with Expect: 100-continue, then the body if asked to; the status lines."""
    assert client.server.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
    writer.write(
        b"POST /users HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\n"
        + f"Content-Length: {length}\r\n\r\n".encode()
    )
    try:
        first = await reader.readline()
        if not first.startswith(b"HTTP/1.1 100"):
            return [first]
        await reader.readline()  # the blank line ending the interim response
        writer.write(body)
        return [first, await reader.readline()]
    finally:
        writer.close()
        await writer.wait_closed()


async def test_expect_continue_is_refused_with_413_before_the_upload(client: AppClient) -> None:
    lines = await exchange_with_expect(client, length=2 * 1024 * 1024, body=b"")
    assert lines == [b"HTTP/1.1 413 Request Entity Too Large\r\n"]


async def test_expect_continue_within_the_limit_gets_100_then_201(client: AppClient) -> None:
    body = b'{"id": 12, "name": "Patient"}'
    lines = await exchange_with_expect(client, length=len(body), body=body)
    assert lines == [b"HTTP/1.1 100 Continue\r\n", b"HTTP/1.1 201 Created\r\n"]
