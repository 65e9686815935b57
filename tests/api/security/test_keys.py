"""The JWKS cache: rotation, a bounded refresh rate, and outages at start and later."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

from tests.api.security.conftest import READER, WRITER, bearer

if TYPE_CHECKING:
    from tests.api.security.conftest import AppFactory
    from tests.support.client import AppClient
    from tests.support.oidc import Issuer


async def wait_ready(client: AppClient) -> None:
    """Poll /readyz (the app offers no event to wait on) for up to 10 s."""
    async with asyncio.timeout(10):
        while (await client.get("/readyz")).status != 200:  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def test_unknown_kid_then_rotation_is_picked_up(auth_app: AppFactory, issuer: Issuer) -> None:
    client = await auth_app(auth_jwks_min_refresh_seconds=0.2)
    assert (await client.get("/users", headers=bearer(issuer.token(sub=READER)))).status == 200
    fetches = issuer.jwks_fetches

    # The issuer rotates: k2 is published, k1 retired.
    issuer.add_key("k2")
    issuer.published = ["k2"]
    await asyncio.sleep(0.25)
    rotated = issuer.token(sub=READER, kid="k2")
    assert (await client.get("/users", headers=bearer(rotated))).status == 200
    assert issuer.jwks_fetches == fetches + 1
    # Later requests with the new key need no fetch.
    for _ in range(5):
        assert (await client.get("/users", headers=bearer(rotated))).status == 200
    assert issuer.jwks_fetches == fetches + 1


async def test_flood_of_unknown_kids_costs_at_most_one_fetch(
    auth_app: AppFactory, issuer: Issuer
) -> None:
    client = await auth_app(auth_jwks_min_refresh_seconds=60)
    await wait_ready(client)
    fetches = issuer.jwks_fetches
    for _ in range(50):
        kid = uuid.uuid4().hex
        issuer.add_key(kid, publish=False)
        response = await client.get("/users", headers=bearer(issuer.token(sub=WRITER, kid=kid)))
        assert response.status == 401
        assert (
            "unknown key id"
            in (await response.json(content_type="application/problem+json"))["detail"]
        )
    assert issuer.jwks_fetches - fetches <= 1


async def test_issuer_down_at_start_then_back(auth_app: AppFactory, issuer: Issuer) -> None:
    issuer.outage = True
    client = await auth_app(auth_jwks_min_refresh_seconds=0.1)
    await asyncio.sleep(0.2)
    ready = await client.get("/readyz")
    assert ready.status == 503
    assert (await ready.json())["reason"].startswith("auth keys unavailable: GET ")

    response = await client.get("/users", headers=bearer(issuer.token(sub=READER)))
    assert response.status == 503
    assert response.headers["Retry-After"] == "5"
    problem = await response.json(content_type="application/problem+json")
    assert problem["type"].endswith("/authentication-unavailable")

    issuer.outage = False
    await wait_ready(client)  # the background retry loads the keys
    assert (await client.get("/users", headers=bearer(issuer.token(sub=READER)))).status == 200


async def test_outage_after_start_keeps_the_cached_keys(
    auth_app: AppFactory, issuer: Issuer
) -> None:
    client = await auth_app(auth_jwks_min_refresh_seconds=0, auth_token_cache_seconds=0)
    await wait_ready(client)
    issuer.outage = True
    fetches = issuer.jwks_fetches
    # An unknown kid triggers a fetch that fails; known keys still verify.
    issuer.add_key("k9")
    assert (
        await client.get("/users", headers=bearer(issuer.token(sub=READER, kid="k9")))
    ).status == 401
    assert issuer.jwks_fetches > fetches
    assert (await client.get("/users", headers=bearer(issuer.token(sub=READER)))).status == 200
    assert (await client.get("/readyz")).status == 200


async def test_discovered_issuer_must_match_the_configured_one(
    auth_app: AppFactory, issuer: Issuer
) -> None:
    issuer.issuer = "https://impostor.example"
    client = await auth_app(auth_jwks_min_refresh_seconds=0.1)
    await asyncio.sleep(0.2)
    ready = await client.get("/readyz")
    assert ready.status == 503
    assert "impostor" in (await ready.json())["reason"]
    assert issuer.jwks_fetches == 0


async def test_explicit_jwks_url_skips_discovery(auth_app: AppFactory, issuer: Issuer) -> None:
    client = await auth_app(auth_jwks_url=f"{issuer.url}/jwks")
    assert (await client.get("/users", headers=bearer(issuer.token(sub=READER)))).status == 200
    assert issuer.discovery_fetches == 0
