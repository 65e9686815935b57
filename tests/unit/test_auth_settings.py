"""Auth settings: each mode's must-haves, refused at start with exit 2 naming the variable."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.settings import Settings
from tests.support.tiers import REPO_ROOT


def test_auth_is_off_by_default() -> None:
    settings = Settings()
    assert settings.auth_mode == "none"
    assert settings.auth_audience == "users-api"


@pytest.mark.parametrize("spelling", ["serviceAccount", "SERVICEACCOUNT", "serviceaccount"])
def test_mode_is_case_insensitive(spelling: str) -> None:
    settings = Settings(
        auth_mode=spelling,
        auth_roles={"system:serviceaccount:a:b": "reader"},
        kubernetes_service_host="10.96.0.1",
    )
    assert settings.auth_mode == "serviceAccount"
    assert settings.kubernetes_api_url == "https://10.96.0.1:443"


def test_ipv6_api_server_address_is_bracketed() -> None:
    settings = Settings(kubernetes_service_host="fd00::1", kubernetes_service_port=6443)
    assert settings.kubernetes_api_url == "https://[fd00::1]:6443"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"AUTH_MODE": "kerberos"}, "AUTH_MODE"),
        ({"AUTH_MODE": "serviceAccount", "KUBERNETES_SERVICE_HOST": "10.0.0.1"}, "AUTH_ROLES"),
        (
            {
                "AUTH_MODE": "serviceAccount",
                "AUTH_ROLES": '{"system:serviceaccount:a:b": "reader"}',
            },
            "AUTH_KUBERNETES_API_URL",
        ),
        ({"AUTH_MODE": "jwt", "AUTH_ROLES": '{"alice": "writer"}'}, "AUTH_ISSUER"),
        ({"AUTH_MODE": "jwt", "AUTH_ISSUER": "https://idp.example"}, "AUTH_ROLES"),
        (
            {"AUTH_MODE": "jwt", "AUTH_ISSUER": "http://idp.example", "AUTH_ROLE_CLAIM": "r"},
            "AUTH_ISSUER",
        ),
        ({"AUTH_MODE": "apiKeys"}, "AUTH_API_KEYS_FILE"),
        ({"AUTH_MODE": "apiKeys", "AUTH_API_KEYS_FILE": "/nonexistent/keys"}, "AUTH_API_KEYS_FILE"),
        ({"AUTH_ROLES": '{"alice": "admin"}'}, "AUTH_ROLES"),
        ({"AUTH_ROLES": "not json"}, "AUTH_ROLES"),
        ({"AUTH_MAX_TOKEN_BYTES": "100000"}, "AUTH_MAX_TOKEN_BYTES"),
        ({"AUTH_JWKS_URL": "ftp://keys.example/jwks"}, "AUTH_JWKS_URL"),
    ],
)
def test_bad_auth_configuration_exits_2_naming_the_variable(
    env: dict[str, str], variable: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app"],
        cwd=REPO_ROOT,
        env={**env, "PORT": "1"},  # never listens: validation comes first
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
