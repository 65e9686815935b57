"""Real consumers of the service's telemetry: Jaeger for traces, Prometheus for metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support.jaeger import Jaeger
from tests.support.tiers import find_tool

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def jaeger(tmp_path: Path) -> Iterator[Jaeger]:
    """A Jaeger of this test's own, on loopback ports, keeping traces in memory."""
    binary = find_tool("jaeger", install_hint="run `make tools-jaeger`")
    server = Jaeger(binary, tmp_path / "jaeger")
    server.start()
    yield server
    server.stop()
