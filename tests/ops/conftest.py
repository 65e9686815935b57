"""Real processes: the service as `python -m app`, and FerretDB servers of a test's own."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support.ferretdb import FerretDB
from tests.support.tiers import find_tool

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def private_ferretdb(tmp_path: Path) -> Iterator[FerretDB]:
    """A FerretDB of this test's own, to stop and start again (outage drills)."""
    binary = find_tool("ferretdb", install_hint="run `make test`, which installs it")
    server = FerretDB(binary, tmp_path / "ferretdb")
    server.start()
    yield server
    server.stop()
