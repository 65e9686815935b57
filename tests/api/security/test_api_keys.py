"""Static API keys from a file of hashes: the right key, a wrong one, and bad files."""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

import pytest

from app.main import create_app
from app.settings import ConfigurationError, Settings

if TYPE_CHECKING:
    from pathlib import Path

    from tests.support.client import AppClient, ClientFactory

READER_KEY = secrets.token_hex(32)
WRITER_KEY = secrets.token_hex(32)


def key_line(name: str, role: str, key: str) -> str:
    return f"{name} {role} sha256:{hashlib.sha256(key.encode()).hexdigest()}\n"


@pytest.fixture
def keys_file(tmp_path: Path) -> Path:
    path = tmp_path / "api-keys"
    path.write_text(
        "# name role hash\n"
        + key_line("dashboard", "reader", READER_KEY)
        + key_line("ci-bot", "writer", WRITER_KEY)
    )
    return path


@pytest.fixture
async def key_client(
    aiohttp_client: ClientFactory, settings: Settings, keys_file: Path
) -> AppClient:
    configured = Settings(
        mongodb_uri=settings.mongodb_uri,
        mongodb_database=settings.mongodb_database,
        auth_mode="apiKeys",
        auth_api_keys_file=keys_file,
    )
    return await aiohttp_client(create_app(configured))


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_right_keys_get_their_roles(key_client: AppClient) -> None:
    created = await key_client.post(
        "/users", json={"id": 3, "name": "Kim"}, headers=bearer(WRITER_KEY)
    )
    assert created.status == 201
    assert (await key_client.get("/users/3", headers=bearer(READER_KEY))).status == 200
    refused = await key_client.put("/users/3", json={"name": "X"}, headers=bearer(READER_KEY))
    assert refused.status == 403
    problem = await refused.json(content_type="application/problem+json")
    assert problem["detail"] == "dashboard has role reader; PUT needs writer"


@pytest.mark.parametrize(
    "key",
    [
        secrets.token_hex(32),
        WRITER_KEY[:-1],
        WRITER_KEY.upper(),
        hashlib.sha256(WRITER_KEY.encode()).hexdigest(),
    ],
    ids=["random", "truncated", "upper-case", "the-hash-itself"],
)
async def test_wrong_keys_are_401_invalid_token(key_client: AppClient, key: str) -> None:
    response = await key_client.get("/users", headers=bearer(key))
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].endswith(
        'error="invalid_token", error_description="unknown API key"'
    )


async def test_missing_key_is_401(key_client: AppClient) -> None:
    assert (await key_client.get("/users/3")).status == 401


@pytest.mark.parametrize(
    ("content", "mentions"),
    [
        ("", "holds no key"),
        ("ci-bot admin sha256:" + "0" * 64 + "\n", "line 1"),
        ("ci-bot writer " + "0" * 64 + "\n", "line 1"),
        (key_line("a", "reader", "x") + key_line("a", "writer", "y"), "repeats"),
    ],
    ids=["empty", "unknown-role", "no-hash-prefix", "duplicate-name"],
)
def test_bad_key_files_fail_at_start_naming_the_variable(
    tmp_path: Path, content: str, mentions: str
) -> None:
    path = tmp_path / "keys"
    path.write_text(content)
    settings = Settings(auth_mode="apiKeys", auth_api_keys_file=path)
    with pytest.raises(ConfigurationError, match="AUTH_API_KEYS_FILE") as raised:
        create_app(settings)
    assert mentions in str(raised.value)


def test_unreadable_key_file_fails_at_start(tmp_path: Path) -> None:
    settings = Settings(auth_mode="apiKeys", auth_api_keys_file=tmp_path / "absent")
    with pytest.raises(ConfigurationError, match="AUTH_API_KEYS_FILE: cannot read"):
        create_app(settings)
