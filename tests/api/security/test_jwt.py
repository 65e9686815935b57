"""JWT mode against a real issuer: roles, and every way a token can be wrong."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.api.security.conftest import READER, STRANGER, WRITER, bearer
from tests.support.oidc import AUDIENCE

if TYPE_CHECKING:
    from aiohttp import ClientResponse

    from tests.api.security.conftest import AppFactory
    from tests.support.oidc import Issuer

PROBLEM = "application/problem+json"


async def assert_invalid_token(response: ClientResponse, *, mentions: str) -> None:
    assert response.status == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="users-api"')
    assert 'error="invalid_token"' in challenge
    problem = await response.json(content_type=PROBLEM)
    assert problem["type"].endswith("/invalid-token")
    assert problem["status"] == 401
    assert mentions.lower() in problem["detail"].lower()


async def test_writer_creates_and_reader_reads(auth_app: AppFactory, issuer: Issuer) -> None:
    client = await auth_app()
    created = await client.post(
        "/users", json={"id": 7, "name": "Ann"}, headers=bearer(issuer.token(sub=WRITER))
    )
    assert created.status == 201
    read = await client.get("/users/7", headers=bearer(issuer.token(sub=READER)))
    assert read.status == 200
    assert (await read.json())["name"] == "Ann"


async def test_reader_cannot_write_403_problem(auth_app: AppFactory, issuer: Issuer) -> None:
    client = await auth_app()
    response = await client.delete("/users/7", headers=bearer(issuer.token(sub=READER)))
    assert response.status == 403
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    problem = await response.json(content_type=PROBLEM)
    assert problem["type"].endswith("/forbidden")
    assert problem["detail"] == f"{READER} has role reader; DELETE needs writer"


async def test_valid_caller_outside_the_allow_list_gets_403(
    auth_app: AppFactory, issuer: Issuer
) -> None:
    client = await auth_app()
    response = await client.get("/users/7", headers=bearer(issuer.token(sub=STRANGER)))
    assert response.status == 403
    assert "has no role" in (await response.json(content_type=PROBLEM))["detail"]


async def test_no_token_401_without_error_code(auth_app: AppFactory) -> None:
    client = await auth_app()
    response = await client.get("/users")
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="users-api"'
    problem = await response.json(content_type=PROBLEM)
    assert problem["type"].endswith("/missing-credentials")


async def test_ec_keys_verify_too(auth_app: AppFactory, issuer: Issuer) -> None:
    issuer.add_key("ec1", algorithm="ES256")
    client = await auth_app()
    token = issuer.token(sub=READER, kid="ec1")
    assert (await client.get("/users?limit=1", headers=bearer(token))).status == 200


@pytest.mark.parametrize(
    ("claims", "mentions"),
    [
        ({"lifetime": -120}, "expired"),
        ({"nbf": int(time.time()) + 600}, "not yet valid"),
        ({"iss": "https://evil.example"}, "issuer"),
        ({"aud": "some-other-api"}, "audience"),
        ({"exp": None}, "exp"),
        ({"sub": None}, "sub"),
    ],
    ids=["expired", "not-yet-valid", "wrong-issuer", "wrong-audience", "no-exp", "no-sub"],
)
async def test_token_with_bad_claims_is_refused(
    auth_app: AppFactory, issuer: Issuer, claims: dict[str, Any], mentions: str
) -> None:
    client = await auth_app()
    token = issuer.token(**{"sub": WRITER, **claims})
    await assert_invalid_token(await client.get("/users", headers=bearer(token)), mentions=mentions)


async def test_small_clock_skew_is_allowed(auth_app: AppFactory, issuer: Issuer) -> None:
    client = await auth_app(auth_leeway_seconds=30)
    token = issuer.token(sub=READER, nbf=int(time.time()) + 10)
    assert (await client.get("/users", headers=bearer(token))).status == 200


async def test_alg_none_is_refused(auth_app: AppFactory, issuer: Issuer) -> None:
    client = await auth_app()
    token = issuer.unsigned_token(sub=WRITER)
    await assert_invalid_token(await client.get("/users", headers=bearer(token)), mentions="none")


async def test_hs256_signed_with_the_public_key_is_refused(
    auth_app: AppFactory, issuer: Issuer
) -> None:
    client = await auth_app()
    token = issuer.hmac_with_public_key(sub=WRITER)
    response = await client.post("/users", json={"id": 8, "name": "Eve"}, headers=bearer(token))
    await assert_invalid_token(response, mentions="HS256")


async def test_signature_by_an_unpublished_key_with_a_known_kid_is_refused(
    auth_app: AppFactory, issuer: Issuer
) -> None:
    issuer.add_key("forger", publish=False)
    client = await auth_app()
    token = issuer.token(sub=WRITER, kid="k1", signed_by="forger")
    await assert_invalid_token(
        await client.get("/users", headers=bearer(token)), mentions="signature"
    )


async def test_audience_is_configurable(auth_app: AppFactory, issuer: Issuer) -> None:
    client = await auth_app(auth_audience="billing")
    assert (await client.get("/users", headers=bearer(issuer.token(sub=READER)))).status == 401
    token = issuer.token(sub=READER, aud="billing")
    assert (await client.get("/users", headers=bearer(token))).status == 200


async def test_roles_from_a_claim(auth_app: AppFactory, issuer: Issuer) -> None:
    client = await auth_app(auth_roles={}, auth_role_claim="realm_access.roles")
    writer = issuer.token(sub="alice", realm_access={"roles": ["offline", "writer"]})
    reader = issuer.token(sub="bob", realm_access={"roles": ["reader"]})
    nobody = issuer.token(sub="carol", realm_access={"roles": ["admin"]})
    odd = issuer.token(
        sub="dave", realm_access={"roles": [{"name": "writer"}, ["writer"], "reader"]}
    )
    assert (
        await client.post("/users", json={"id": 9, "name": "A"}, headers=bearer(writer))
    ).status == 201
    assert (await client.get("/users/9", headers=bearer(reader))).status == 200
    assert (await client.get("/users/9", headers=bearer(nobody))).status == 403
    # Non-string entries grant nothing (and break nothing).
    assert (await client.get("/users/9", headers=bearer(odd))).status == 200
    assert (await client.delete("/users/9", headers=bearer(odd))).status == 403


async def test_aud_may_be_a_list(auth_app: AppFactory, issuer: Issuer) -> None:
    client = await auth_app()
    token = issuer.token(sub=READER, aud=["https://kubernetes.default.svc", AUDIENCE])
    assert (await client.get("/users", headers=bearer(token))).status == 200
