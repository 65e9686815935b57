"""Routing errors are problems too: unknown routes and wrong methods."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.support.client import AppClient


async def test_unknown_route_returns_404_problem(client: AppClient) -> None:
    response = await client.get("/nope")
    assert response.status == 404
    problem = await response.json(content_type="application/problem+json")
    assert problem == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "no route matches /nope",
    }


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PATCH", "/users", {"GET", "HEAD", "POST"}),
        ("POST", "/users/1", {"GET", "HEAD", "PUT", "DELETE"}),
        ("DELETE", "/healthz", {"GET", "HEAD"}),
    ],
)
async def test_wrong_method_returns_405_with_allow(
    client: AppClient, method: str, path: str, allowed: set[str]
) -> None:
    response = await client.request(method, path)
    assert response.status == 405
    assert set(response.headers["Allow"].split(",")) == allowed
    problem = await response.json(content_type="application/problem+json")
    assert problem["status"] == 405
