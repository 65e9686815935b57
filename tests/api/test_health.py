"""Probes and database outages seen from inside one app."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from app.main import create_app
from app.settings import Settings
from tests.support.ports import free_port

if TYPE_CHECKING:
    from tests.support.client import AppClient, ClientFactory


def unreachable_settings() -> Settings:
    """A database nobody listens on, with the default-size timeouts shortened."""
    return Settings(
        mongodb_uri=f"mongodb://127.0.0.1:{free_port()}/",
        mongodb_timeout_seconds=0.5,
        readiness_timeout_seconds=0.3,
    )


async def test_probes_pass_when_the_database_answers(client: AppClient) -> None:
    assert await (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status == 200
    assert await ready.json() == {"status": "ready"}


async def test_app_starts_without_its_database_and_reports_not_ready(
    aiohttp_client: ClientFactory,
) -> None:
    client = await aiohttp_client(create_app(unreachable_settings()))
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    assert ready.status == 503
    body = await ready.json()
    assert body["status"] == "not_ready"
    assert body["reason"].startswith("database unavailable")


async def test_user_requests_fail_fast_with_503_when_the_database_is_gone(
    aiohttp_client: ClientFactory,
) -> None:
    settings = unreachable_settings()
    client = await aiohttp_client(create_app(settings))
    for method, path, body in [
        ("POST", "/users", {"id": 1, "name": "A"}),
        ("GET", "/users/1", None),
        ("GET", "/users", None),
        ("PUT", "/users/1", {"name": "B"}),
        ("DELETE", "/users/1", None),
    ]:
        started = time.monotonic()
        response = await client.request(method, path, json=body)
        elapsed = time.monotonic() - started
        assert response.status == 503, (method, path)
        assert response.headers["Retry-After"] == "1"
        problem = await response.json(content_type="application/problem+json")
        assert problem["type"].endswith("/database-unavailable")
        # Bounded by the configured timeout, not the driver's 30 s default.
        assert elapsed < settings.mongodb_timeout_seconds + 2
