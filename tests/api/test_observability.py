"""What operators see: request ids, Prometheus metrics and the OpenAPI document."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

import pytest
from openapi_spec_validator import validate
from prometheus_client.parser import text_string_to_metric_families

from tests.support.tiers import find_tool

if TYPE_CHECKING:
    from tests.support.client import AppClient


async def metric_samples(client: AppClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = await client.get("/metrics")
    assert response.status == 200
    text = await response.text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def labels(**values: str) -> frozenset[tuple[str, str]]:
    return frozenset(values.items())


async def test_sane_request_id_is_echoed(client: AppClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "trace-123.abc"})
    assert response.headers["X-Request-ID"] == "trace-123.abc"


@pytest.mark.parametrize("incoming", ["", "has spaces", "x" * 129, "evil\u00e9"])
async def test_unsafe_request_id_is_replaced(client: AppClient, incoming: str) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": incoming})
    echoed = response.headers["X-Request-ID"]
    assert echoed != incoming
    assert len(echoed) == 32
    assert int(echoed, 16) >= 0


async def test_error_responses_carry_a_request_id(client: AppClient) -> None:
    assert len((await client.get("/users/0")).headers["X-Request-ID"]) == 32


async def test_metrics_label_requests_by_route_template(client: AppClient) -> None:
    await client.post("/users", json={"id": 11, "name": "Ann"})
    for _ in range(3):
        await client.get("/users/11")
    await client.get("/users/12")
    await client.get("/no/such/route")
    await client.request("PATCH", "/users")
    await client.request("PROPFIND", "/users")  # a valid method, but no label of its own

    samples = await metric_samples(client)
    route = "/users/{id}"
    assert samples["http_requests_total", labels(method="GET", route=route, status="200")] == 3
    assert samples["http_requests_total", labels(method="GET", route=route, status="404")] == 1
    assert samples["http_requests_total", labels(method="POST", route="/users", status="201")] == 1
    assert (
        samples["http_requests_total", labels(method="GET", route="unmatched", status="404")] == 1
    )
    assert (
        samples["http_requests_total", labels(method="other", route="unmatched", status="405")] == 1
    )
    assert (
        samples[
            "http_request_duration_seconds_count", labels(method="GET", route=route, status="200")
        ]
        == 3
    )
    assert not any("/users/11" in dict(label_set).get("route", "") for _, label_set in samples)
    # The scrape in progress is the one request in flight.
    assert samples["http_requests_in_flight", labels()] == 1


async def test_metrics_time_database_calls_by_operation_and_outcome(client: AppClient) -> None:
    await client.post("/users", json={"id": 1, "name": "A"})
    await client.post("/users", json={"id": 1, "name": "A"})
    await client.get("/users/1")
    samples = await metric_samples(client)
    count = "mongodb_operation_duration_seconds_count"
    assert samples[count, labels(operation="insert_one", outcome="success")] == 1
    assert samples[count, labels(operation="insert_one", outcome="duplicate_key")] == 1
    assert samples[count, labels(operation="find_one", outcome="success")] == 1


async def test_metrics_include_build_info_and_process_collectors(client: AppClient) -> None:
    samples = await metric_samples(client)
    build = [key for key in samples if key[0] == "users_api_build_info"]
    assert len(build) == 1
    assert dict(build[0][1])["version"] == "0.1.0"
    assert ("process_resident_memory_bytes", labels()) in samples
    assert any(name == "python_gc_objects_collected_total" for name, _ in samples)


async def test_promtool_finds_nothing_to_complain_about(client: AppClient) -> None:
    promtool = find_tool(
        "promtool", install_hint="install Debian's prometheus package (.ci/run does)"
    )
    await client.post("/users", json={"id": 1, "name": "A"})
    await client.get("/nope")
    exposition = await (await client.get("/metrics")).read()
    result = subprocess.run(  # noqa: ASYNC221 - the app is idle by now
        [str(promtool), "check", "metrics"], input=exposition, capture_output=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == b""
    assert result.stderr.strip() == b""


async def test_openapi_document_is_valid_openapi_3_1(client: AppClient) -> None:
    document = await (await client.get("/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    validate(document)


async def test_openapi_documents_exactly_the_routes_served(client: AppClient) -> None:
    document = await (await client.get("/openapi.json")).json()
    documented = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert client.app is not None
    served = {
        (route.method, route.resource.canonical)
        for route in client.app.router.routes()
        if route.method != "HEAD" and route.resource is not None
    }
    assert documented == served


async def test_openapi_request_schemas_come_from_the_models(client: AppClient) -> None:
    schemas = (await (await client.get("/openapi.json")).json())["components"]["schemas"]
    create = schemas["UserCreate"]
    assert create["additionalProperties"] is False
    assert set(create["required"]) == {"id", "name"}
    assert create["properties"]["id"]["maximum"] == 2**63 - 1
    assert create["properties"]["name"]["maxLength"] == 200
