"""Real consumers of the service's telemetry: Jaeger for traces, Prometheus for metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support.app_process import AppProcess, local_env
from tests.support.jaeger import Jaeger
from tests.support.tiers import find_tool

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path


@pytest.fixture
def jaeger(tmp_path: Path) -> Iterator[Jaeger]:
    """A Jaeger of this test's own, on loopback ports, keeping traces in memory."""
    binary = find_tool("jaeger", install_hint="run `make tools-jaeger`")
    server = Jaeger(binary, tmp_path / "jaeger")
    server.start()
    yield server
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
