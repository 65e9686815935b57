"""The `skaffold verify` script, run for real against the service and a real database.

In the cluster a Job runs it in the app image against the Service; here the same argv runs
against `python -m app` on a free port, with FerretDB behind it.
"""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from tests.dev.project import skaffold_config
from tests.support.app_process import AppProcess, local_env

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.db

(CASE,) = skaffold_config()["verify"]


def run_verify(base_url: str) -> subprocess.CompletedProcess[str]:
    """The verify container's command and script with this interpreter and another URL."""
    command = [sys.executable, *CASE["container"]["command"][1:]]
    script, _url = CASE["container"]["args"]
    return subprocess.run(
        [*command, script, base_url],
        capture_output=True,
        text=True,
        check=False,
        timeout=CASE["timeout"],
    )


@pytest.fixture
def service(ferretdb_uri: str, tmp_path: Path) -> Iterator[AppProcess]:
    process = AppProcess(local_env(ferretdb_uri), tmp_path / "app.log")
    process.start()
    process.wait_until("/readyz", 200)
    yield process
    process.stop()


def test_verify_creates_reads_back_and_deletes_a_user(service: AppProcess) -> None:
    result = run_verify(service.base_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "created, read back and deleted user" in result.stdout


def test_verify_fails_at_once_on_a_wrong_answer(service: AppProcess) -> None:
    # 404 is not a service that is still starting: no 60-second wait, a failed Job.
    result = run_verify(service.base_url + "/no-such-prefix")
    assert result.returncode != 0
    assert "404" in result.stderr
