"""Real dependencies: one FerretDB for the suite (or MONGODB_URI), and service processes."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from tests.support.app_process import AppProcess, local_env
from tests.support.ferretdb import FerretDB
from tests.support.tiers import find_tool

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path


@pytest.fixture(scope="session")
def ferretdb_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A MongoDB-wire server for the whole run: MONGODB_URI if set, else a FerretDB we start."""
    external = os.environ.get("MONGODB_URI")
    if external:
        yield external
        return
    binary = find_tool("ferretdb", install_hint="run `make test`, which installs it")
    server = FerretDB(binary, tmp_path_factory.mktemp("ferretdb"))
    server.start()
    yield server.uri
    server.stop()


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
