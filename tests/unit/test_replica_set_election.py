"""During a replica-set election the API answers 503 with Retry-After, never 500.

An election cannot be staged here (FerretDB has no replica sets), so the collection is replaced
by one that raises exactly what PyMongo raises while a set has no primary, after its own one
retry of the write (retryWrites) has failed too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import pytest
from aiohttp import web
from pymongo.errors import (
    AutoReconnect,
    NotPrimaryError,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
)

from app import keys
from app.problems import problems_middleware
from app.settings import Settings
from app.users.documents import UnusableDocuments
from app.users.repository import UserRepository
from app.users.routes import user_routes

if TYPE_CHECKING:
    from pymongo.asynchronous.collection import AsyncCollection

    from tests.support.client import ClientFactory


def server_error(code: int, name: str) -> dict[str, Any]:
    return {"ok": 0, "code": code, "codeName": name, "errmsg": name}


ELECTION_ERRORS = [
    pytest.param(
        NotPrimaryError("not primary", server_error(10107, "NotWritablePrimary")),
        id="10107-not-writable-primary",
    ),
    pytest.param(
        OperationFailure("stepped down", 189, server_error(189, "PrimarySteppedDown")),
        id="189-primary-stepped-down",
    ),
    pytest.param(
        OperationFailure(
            "interrupted", 11602, server_error(11602, "InterruptedDueToReplStateChange")
        ),
        id="11602-interrupted-by-state-change",
    ),
    pytest.param(
        OperationFailure("shutting down", 91, server_error(91, "ShutdownInProgress")),
        id="91-shutdown-in-progress",
    ),
    pytest.param(
        OperationFailure("no primary", 13436, server_error(13436, "NotPrimaryOrSecondary")),
        id="13436-not-primary-or-secondary",
    ),
    pytest.param(AutoReconnect("connection closed by the old primary"), id="auto-reconnect"),
    pytest.param(
        ServerSelectionTimeoutError('No replica set members match selector "Primary()"'),
        id="no-primary-selectable",
    ),
]


class CollectionWithoutPrimary:
    """Every call fails with the given driver error, as while the set elects a primary."""

    def __init__(self, error: PyMongoError) -> None:
        self.error = error

    def with_options(self, **_: object) -> CollectionWithoutPrimary:
        return self

    async def insert_one(self, *_: object, **__: object) -> None:
        raise self.error

    async def find_one(self, *_: object, **__: object) -> None:
        raise self.error

    async def find_one_and_update(self, *_: object, **__: object) -> None:
        raise self.error

    async def delete_one(self, *_: object, **__: object) -> None:
        raise self.error


def app_on(collection: CollectionWithoutPrimary) -> web.Application:
    """The /users routes and the problem middleware, on a collection of the test's choosing."""
    app = web.Application(middlewares=[problems_middleware])
    app[keys.SETTINGS] = Settings()
    app[keys.USERS] = UserRepository(
        cast("AsyncCollection[dict[str, Any]]", collection),
        record_operation=lambda _name, _outcome, _seconds: None,
        unusable=UnusableDocuments(count=lambda _field: None),
    )
    app.add_routes(user_routes())
    return app


@pytest.mark.parametrize("error", ELECTION_ERRORS)
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("POST", "/users", {"id": 1, "name": "Ada"}, id="create"),
        pytest.param("GET", "/users/1", None, id="read"),
        pytest.param("PUT", "/users/1", {"name": "Grace"}, id="replace"),
        pytest.param("DELETE", "/users/1", None, id="delete"),
    ],
)
async def test_election_errors_answer_503_with_retry_after(
    aiohttp_client: ClientFactory,
    error: PyMongoError,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    client = await aiohttp_client(app_on(CollectionWithoutPrimary(error)))
    response = await client.request(method, path, json=body)
    assert response.status == 503
    assert response.headers["Retry-After"] == "1"
    assert response.content_type == "application/problem+json"
    problem = await response.json(content_type=None)
    assert problem["type"].endswith("/database-unavailable")


async def test_a_real_server_error_is_not_mistaken_for_an_election(
    aiohttp_client: ClientFactory,
) -> None:
    """Only the transient codes mean 'retry later'; a bad command is the service's own fault."""
    bad_value = OperationFailure("bad value", 2, server_error(2, "BadValue"))
    client = await aiohttp_client(app_on(CollectionWithoutPrimary(bad_value)))
    response = await client.get("/users/1")
    assert response.status == 500
    assert "Retry-After" not in response.headers
