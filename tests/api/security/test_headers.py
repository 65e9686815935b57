"""Authorization headers that are missing, malformed or oversized; routes that stay open."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from multidict import CIMultiDict

from tests.api.security.conftest import READER, bearer

if TYPE_CHECKING:
    from tests.api.security.conftest import AppFactory
    from tests.support.oidc import Issuer

PROBLEM = "application/problem+json"


@pytest.mark.parametrize(
    "value",
    ["Bearer", "Bearer ", "Bearer a b", "Bearer tok\u00e9n", 'Bearer "quoted"', "Bearer a=b"],
)
async def test_malformed_bearer_is_400_invalid_request(auth_app: AppFactory, value: str) -> None:
    client = await auth_app()
    response = await client.get("/users", headers={"Authorization": value})
    assert response.status == 400
    assert 'error="invalid_request"' in response.headers["WWW-Authenticate"]
    problem = await response.json(content_type=PROBLEM)
    assert problem["type"].endswith("/malformed-credentials")


async def test_two_authorization_headers_are_400(auth_app: AppFactory, issuer: Issuer) -> None:
    client = await auth_app()
    token = issuer.token(sub=READER)
    headers = CIMultiDict([("Authorization", f"Bearer {token}"), ("Authorization", "Bearer x")])
    assert (await client.get("/users", headers=headers)).status == 400


@pytest.mark.parametrize("value", ["Basic dXNlcjpwYXNz", "Token abc", "bearer-ish"])
async def test_other_schemes_get_the_bearer_challenge(auth_app: AppFactory, value: str) -> None:
    client = await auth_app()
    response = await client.get("/users", headers={"Authorization": value})
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="users-api"'


async def test_scheme_is_case_insensitive(auth_app: AppFactory, issuer: Issuer) -> None:
    client = await auth_app()
    headers = {"Authorization": f"bearer {issuer.token(sub=READER)}"}
    assert (await client.get("/users", headers=headers)).status == 200


async def test_oversized_token_is_refused_before_parsing(
    auth_app: AppFactory, issuer: Issuer
) -> None:
    client = await auth_app(auth_max_token_bytes=1024)
    response = await client.get("/users", headers=bearer("a" * 1025))
    assert response.status == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert "larger than 1024 bytes" in (await response.json(content_type=PROBLEM))["detail"]
    # A real token below the limit still works.
    assert (await client.get("/users", headers=bearer(issuer.token(sub=READER)))).status == 200


@pytest.mark.parametrize("token", ["abc", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "...."])
async def test_garbage_tokens_are_401_invalid_token(auth_app: AppFactory, token: str) -> None:
    client = await auth_app()
    response = await client.get("/users", headers=bearer(token))
    assert response.status == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("path", ["/healthz", "/metrics", "/openapi.json"])
async def test_probes_metrics_and_document_stay_open(auth_app: AppFactory, path: str) -> None:
    client = await auth_app()
    assert (await client.get(path)).status == 200


async def test_unknown_routes_are_404_without_credentials(auth_app: AppFactory) -> None:
    client = await auth_app()
    assert (await client.get("/nope")).status == 404
