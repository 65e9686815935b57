"""A real OIDC issuer (aiohttp, keys generated here) and apps configured against it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import pytest

from app.main import create_app
from app.settings import Settings
from tests.support.oidc import Issuer

if TYPE_CHECKING:
    from pytest_aiohttp import AiohttpServer

    from tests.support.client import AppClient, ClientFactory

READER = "system:serviceaccount:shop:catalog"
WRITER = "system:serviceaccount:shop:checkout"
STRANGER = "system:serviceaccount:other:intruder"
ROLES = {READER: "reader", WRITER: "writer"}

AppFactory = Callable[..., Awaitable["AppClient"]]


@pytest.fixture
async def issuer(aiohttp_server: AiohttpServer) -> Issuer:
    """An issuer with one published RSA key `k1`, listening on loopback."""
    issuer = Issuer()
    issuer.add_key("k1")
    server = await aiohttp_server(issuer.app())
    issuer.url = str(server.make_url("")).rstrip("/")
    return issuer


@pytest.fixture
def auth_app(aiohttp_client: ClientFactory, settings: Settings, issuer: Issuer) -> AppFactory:
    """Start the app in jwt mode against the issuer; keyword arguments override settings."""

    async def start(**overrides: Any) -> AppClient:
        values: dict[str, Any] = {
            "mongodb_uri": settings.mongodb_uri,
            "mongodb_database": settings.mongodb_database,
            "auth_mode": "jwt",
            "auth_issuer": issuer.url,
            "auth_roles": ROLES,
            **overrides,
        }
        return await aiohttp_client(create_app(Settings(**values)))

    return start


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {token}"}
