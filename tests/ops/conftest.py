"""Real processes: the service as `python -m app`, and FerretDB servers of a test's own."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support.app_process import AppProcess, local_env
from tests.support.ferretdb import FerretDB
from tests.support.tiers import find_tool

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path


@pytest.fixture
def start_app(ferretdb_uri: str, tmp_path: Path) -> Iterator[Callable[..., AppProcess]]:
    """Start `python -m app` on a free port and its own database; extra env as keywords."""
    started: list[AppProcess] = []

    def start(**env: str) -> AppProcess:
        process = AppProcess(local_env(ferretdb_uri, **env), tmp_path / f"app-{len(started)}.log")
        started.append(process)
        process.start()
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def private_ferretdb(tmp_path: Path) -> Iterator[FerretDB]:
    """A FerretDB of this test's own, to stop and start again (outage drills)."""
    binary = find_tool("ferretdb", install_hint="run `make test`, which installs it")
    server = FerretDB(binary, tmp_path / "ferretdb")
    server.start()
    yield server
    server.stop()
