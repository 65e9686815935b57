"""Load shedding as a client sees it: 503 + Retry-After at once, probes and metrics unaffected."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp.test_utils import TestClient

from app import keys
from app.main import create_app
from tests.api.test_observability import metric_samples

if TYPE_CHECKING:
    from app.settings import Settings
    from tests.support.client import AppClient, ClientFactory


async def test_requests_beyond_max_in_flight_get_503_overloaded_and_probes_do_not(
    aiohttp_client: ClientFactory, settings: Settings
) -> None:
    client: AppClient = await aiohttp_client(
        create_app(settings.model_copy(update={"max_in_flight": 2}))
    )
    assert isinstance(client, TestClient)
    await client.post("/users", json={"id": 1, "name": "Ann"})
    admission = client.app[keys.ADMISSION]
    with admission.admit(), admission.admit():  # two database calls are running
        for method, path in (("GET", "/users/1"), ("GET", "/users"), ("DELETE", "/users/1")):
            response = await client.request(method, path)
            assert response.status == 503
            assert response.headers["Retry-After"] == "1"
            problem = await response.json(content_type="application/problem+json")
            assert problem["type"].endswith("/overloaded")
        for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
            assert (await client.get(path)).status == 200
        samples = await metric_samples(client)
    assert samples["http_requests_shed_total", frozenset()] == 3
    assert samples["mongodb_operations_in_flight", frozenset()] == 2
    assert (await client.get("/users/1")).status == 200


async def test_max_in_flight_defaults_to_the_pool_size(client: AppClient) -> None:
    assert isinstance(client, TestClient)
    settings = client.app[keys.SETTINGS]
    assert client.app[keys.ADMISSION].limit == settings.mongodb_max_pool_size == 100
