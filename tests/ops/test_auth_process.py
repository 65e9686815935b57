"""Auth in the real process: the access log names the caller and never holds a token."""

from __future__ import annotations

import hashlib
import secrets
import subprocess
import sys
from typing import TYPE_CHECKING

from tests.support.blocking_http import call
from tests.support.tiers import REPO_ROOT

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.support.app_process import AppProcess


def test_access_log_carries_outcome_and_caller_never_the_key(
    start_app: Callable[..., AppProcess], tmp_path: Path
) -> None:
    key = secrets.token_hex(32)
    keys = tmp_path / "api-keys"
    keys.write_text(f"ci-bot writer sha256:{hashlib.sha256(key.encode()).hexdigest()}\n")
    app = start_app(AUTH_MODE="apiKeys", AUTH_API_KEYS_FILE=str(keys))
    app.wait_until("/readyz", 200)
    good = {"Authorization": f"Bearer {key}", "X-Request-ID": "with-key"}
    assert call("POST", app.base_url + "/users", b'{"id": 1, "name": "A"}', headers=good)[0] == 201
    wrong = {"Authorization": f"Bearer {key[::-1]}", "X-Request-ID": "wrong-key"}
    assert call("GET", app.base_url + "/users/1", headers=wrong)[0] == 401
    assert call("GET", app.base_url + "/users/1", headers={"X-Request-ID": "no-key"})[0] == 401

    access = {
        event["request_id"]: event
        for event in app.log_events()
        if event["event"] == "request" and event["route"].startswith("/users")
    }
    assert (access["with-key"]["auth"], access["with-key"]["caller"]) == ("allowed", "ci-bot")
    assert access["wrong-key"]["auth"] == "invalid"
    assert "caller" not in access["wrong-key"]
    assert access["no-key"]["auth"] == "missing"
    log = app.log_text()
    assert key not in log
    assert key[::-1] not in log


def test_unusable_key_file_exits_2_naming_the_variable(tmp_path: Path) -> None:
    keys = tmp_path / "api-keys"
    keys.write_text("ci-bot writer not-a-hash\n")
    result = subprocess.run(
        [sys.executable, "-m", "app"],
        cwd=REPO_ROOT,
        env={"AUTH_MODE": "apiKeys", "AUTH_API_KEYS_FILE": str(keys), "PORT": "1"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("invalid configuration: AUTH_API_KEYS_FILE:")
