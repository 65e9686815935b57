"""Drills run against the real `python -m app` process, as clients in the cluster see it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support.app_process import AppProcess, local_env

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def service(ferretdb_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    """One service process for the module, on a database of its own."""
    env = local_env(ferretdb_uri, BODY_READ_TIMEOUT_SECONDS="1")
    process = AppProcess(env, tmp_path_factory.mktemp("service") / "app.log")
    process.start()
    process.wait_until("/readyz", 200)
    yield process
    process.stop()
