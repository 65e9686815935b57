"""ServiceAccount mode against a stand-in API server: its own token, discovered issuer.

The real API server is exercised by tests/e2e; here the issuer endpoints are
served by the test issuer, which demands the pod's token like the API server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.api.security.conftest import READER, STRANGER, WRITER, bearer

if TYPE_CHECKING:
    from pathlib import Path

    from tests.api.security.conftest import AppFactory
    from tests.support.oidc import Issuer

CLUSTER_ISSUER = "https://kubernetes.default.svc.cluster.local"


async def test_issuer_discovered_from_the_api_server_with_the_pods_token(
    auth_app: AppFactory, issuer: Issuer, tmp_path: Path
) -> None:
    issuer.issuer = CLUSTER_ISSUER
    issuer.required_bearer = "pod-own-token"
    token_file = tmp_path / "token"
    token_file.write_text("pod-own-token\n")
    client = await auth_app(
        auth_mode="serviceAccount",
        auth_issuer="",
        auth_kubernetes_api_url=issuer.url,
        auth_kubernetes_token_file=token_file,
        auth_kubernetes_ca_file=tmp_path / "absent-ca.crt",
    )
    reader = issuer.token(sub=READER)
    assert (await client.get("/users", headers=bearer(reader))).status == 200
    writer = issuer.token(sub=WRITER)
    assert (
        await client.post("/users", json={"id": 5, "name": "Sam"}, headers=bearer(writer))
    ).status == 201
    assert (await client.get("/users/5", headers=bearer(issuer.token(sub=STRANGER)))).status == 403
    assert (await client.get("/users/5")).status == 401
    # Keys came from /openid/v1/jwks, never from the discovery document's jwks_uri.
    assert issuer.jwks_fetches >= 1
    assert set(issuer.seen_bearers) == {"Bearer pod-own-token"}


async def test_token_from_another_issuer_is_refused(
    auth_app: AppFactory, issuer: Issuer, tmp_path: Path
) -> None:
    issuer.issuer = CLUSTER_ISSUER
    client = await auth_app(
        auth_mode="serviceAccount",
        auth_issuer="",
        auth_kubernetes_api_url=issuer.url,
        auth_kubernetes_token_file=tmp_path / "token",
    )
    token = issuer.token(sub=WRITER, iss="https://other-cluster.example")
    assert (await client.get("/users", headers=bearer(token))).status == 401


async def test_api_server_refusing_the_pod_token_keeps_readiness_503(
    auth_app: AppFactory, issuer: Issuer, tmp_path: Path
) -> None:
    issuer.required_bearer = "the-right-token"
    (tmp_path / "token").write_text("a-wrong-token")
    client = await auth_app(
        auth_mode="serviceAccount",
        auth_issuer="",
        auth_kubernetes_api_url=issuer.url,
        auth_kubernetes_token_file=tmp_path / "token",
    )
    response = await client.get("/users", headers=bearer(issuer.token(sub=READER)))
    assert response.status == 503
    ready = await client.get("/readyz")
    assert ready.status == 503
    assert "answered 401" in (await ready.json())["reason"]
