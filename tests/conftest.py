"""Session-wide real dependencies: one FerretDB for the suite, or the server in MONGODB_URI."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from tests.support.ferretdb import FerretDB
from tests.support.tiers import find_tool

if TYPE_CHECKING:
    from collections.abc import Iterator


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
