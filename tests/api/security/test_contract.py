"""What operators and API clients see of auth: metrics and the OpenAPI document."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from openapi_spec_validator import validate
from prometheus_client.parser import text_string_to_metric_families

from tests.api.security.conftest import READER, STRANGER, WRITER, bearer

if TYPE_CHECKING:
    from tests.api.security.conftest import AppFactory
    from tests.support.client import AppClient
    from tests.support.oidc import Issuer


async def samples(client: AppClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = await (await client.get("/metrics")).text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def labels(**values: str) -> frozenset[tuple[str, str]]:
    return frozenset(values.items())


async def test_decisions_are_counted_by_outcome_and_bounded_caller(
    auth_app: AppFactory, issuer: Issuer
) -> None:
    client = await auth_app()
    await client.get("/users", headers=bearer(issuer.token(sub=READER)))
    await client.get("/users", headers=bearer(issuer.token(sub=READER)))
    await client.post(
        "/users", json={"id": 1, "name": "A"}, headers=bearer(issuer.token(sub=READER))
    )
    for _ in range(3):  # arbitrary subjects must not grow the label space
        await client.get("/users", headers=bearer(issuer.token(sub=f"sa:{uuid.uuid4()}")))
    await client.get("/users")
    await client.get("/users", headers=bearer("garbage"))

    found = await samples(client)
    total = "auth_requests_total"
    assert found[total, labels(outcome="allowed", caller=READER)] == 2
    assert found[total, labels(outcome="forbidden", caller=READER)] == 1
    assert found[total, labels(outcome="forbidden", caller="other")] == 3
    assert found[total, labels(outcome="missing", caller="anonymous")] == 1
    assert found[total, labels(outcome="invalid", caller="anonymous")] == 1
    assert ("auth_requests_total", labels(outcome="allowed", caller=WRITER)) not in found
    assert not any(STRANGER in dict(label_set).values() for _, label_set in found)
    fetches = found["auth_jwks_fetch_duration_seconds_count", labels(outcome="success")]
    assert fetches == issuer.jwks_fetches


async def test_openapi_declares_the_scheme_and_each_requirement(auth_app: AppFactory) -> None:
    client = await auth_app()
    document = await (await client.get("/openapi.json")).json()
    validate(document)
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            if path.startswith("/users"):
                assert operation["security"] == [{"bearerAuth": []}], (method, path)
                assert {"401", "403"} <= operation["responses"].keys()
            else:
                assert operation["security"] == [], (method, path)


async def test_openapi_without_auth_declares_no_scheme(client: AppClient) -> None:
    document = await (await client.get("/openapi.json")).json()
    assert "securitySchemes" not in document["components"]
    assert "security" not in document["paths"]["/users"]["get"]
