"""The embedded engines `make bench-scaling` compares, each started on a throwaway directory.

FerretDB v1.24.2 is the only MongoDB-wire server this machine can install; what
varies is its backend and what the backend is given to work with:

- SQLite (what `make run` starts without PostgreSQL): FerretDB pushes `_id`
  equality down to SQL only for strings and ObjectIDs, so an integer id is a
  full scan decoded in Go.
- PostgreSQL: `_id` equality is pushed down as `_jsonb->'_id' @> value`,
  which FerretDB's own btree `_id` index cannot serve, so PostgreSQL scans.
- PostgreSQL with a GIN index on `_jsonb->'_id'` and custom plans
  (scripts/ferretdb-id-index.sql, which `make run` installs too): the same
  pushed-down filter becomes an index lookup.

In all three a page (`_id > after`, sorted by `_id`, limit 51) reads the whole
collection: v1.24.2 pushes down neither `$gt` nor a sort other than `$natural`,
and pushes a limit only without filter and sort.
"""

from __future__ import annotations

import contextlib
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.database import (
    FERRETDB,
    REPO,
    _version,
    ferretdb,
    ferretdb_sqlite,
    postgres_bindir,
    postgres_cluster,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from contextlib import AbstractContextManager
    from pathlib import Path

ID_INDEX_SQL = REPO / "scripts" / "ferretdb-id-index.sql"


def install_id_index(postgresql_url: str) -> None:
    """Install scripts/ferretdb-id-index.sql, as `make run` does on its PostgreSQL."""
    psql = postgres_bindir() / "psql"
    subprocess.run(  # noqa: S603 - fixed tool path and file
        [str(psql), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(ID_INDEX_SQL), postgresql_url],
        check=True,
        capture_output=True,
        timeout=60,
    )


@dataclass(frozen=True, slots=True)
class Engine:
    """One engine and how to start it on a throwaway directory (yields a mongodb:// URI)."""

    key: str
    name: str
    start: Callable[[Path], AbstractContextManager[str]]

    @property
    def description(self) -> str:
        """Versions, for the report."""
        ferret = f"FerretDB {_version(FERRETDB)}"
        if self.key == "sqlite":
            return f"{ferret}, SQLite handler"
        return (
            f"{ferret}, PostgreSQL handler on PostgreSQL {_version(postgres_bindir() / 'postgres')}"
        )


@contextlib.contextmanager
def _postgresql(workdir: Path) -> Iterator[str]:
    with (
        postgres_cluster(workdir) as postgresql_url,
        ferretdb(workdir, postgresql_url=postgresql_url) as uri,
    ):
        yield uri


@contextlib.contextmanager
def _postgresql_id_index(workdir: Path) -> Iterator[str]:
    with postgres_cluster(workdir, custom_plans=True) as postgresql_url:
        install_id_index(postgresql_url)
        with ferretdb(workdir, postgresql_url=postgresql_url) as uri:
            yield uri


ENGINES = (
    Engine(key="sqlite", name="FerretDB + SQLite", start=ferretdb_sqlite),
    Engine(key="postgresql", name="FerretDB + PostgreSQL", start=_postgresql),
    Engine(
        key="postgresql-gin",
        name="FerretDB + PostgreSQL + GIN `_id` index",
        start=_postgresql_id_index,
    ),
)
