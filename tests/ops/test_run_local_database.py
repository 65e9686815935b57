"""`make run`'s local database: FerretDB on PostgreSQL (indexed lookups) or on SQLite."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.app_process import AppProcess
from tests.support.blocking_http import call
from tests.support.ports import free_port
from tests.support.tiers import REPO_ROOT, unavailable

if TYPE_CHECKING:
    from collections.abc import Iterator

RUN_LOCAL = REPO_ROOT / "scripts" / "run-local"
FERRETDB = REPO_ROOT / ".tools" / "bin" / "ferretdb"
# Creating a PostgreSQL cluster on first use takes seconds on a busy machine.
READY_WITHIN_SECONDS = 90.0


def _postgresql_installed() -> bool:
    check = [str(REPO_ROOT / "scripts" / "local-postgresql"), "check"]
    return subprocess.run(check, capture_output=True, timeout=30, check=False).returncode == 0


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A data directory PostgreSQL's own user can reach when the tests run as root.

    pytest's tmp_path sits below a 0700 directory; PostgreSQL refuses to run as
    root, so as root its cluster belongs to the `postgres` user, who must get there.
    """
    parent = Path(tempfile.mkdtemp(prefix="users-api-run-local-"))
    parent.chmod(0o755)
    yield parent / "data"
    shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture
def run_local(data_dir: Path) -> dict[str, str]:
    """scripts/run-local's environment: free ports, its own data, the caller's PATH."""
    if not FERRETDB.is_file():
        unavailable(f"{FERRETDB} missing; run `make test`, which installs it")
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "FERRETDB_PORT": str(free_port()),
        "RUN_DATA_DIR": str(data_dir),
        "LOG_FORMAT": "json",
    }


def _stop_service_then_wrapper(wrapper: AppProcess) -> int:
    """SIGTERM the service (the wrapper's child): the wrapper then stops its databases."""
    assert wrapper.process is not None
    pid = wrapper.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for child in children.read_text().split() if wrapper.process.poll() is None else []:
        os.kill(int(child), signal.SIGTERM)
    return wrapper.wait(timeout=60)


def _psql(cluster: Path, query: str) -> list[str]:
    """Rows of a query on run-local's cluster, through its Unix socket."""
    argv = ["psql", "-X", "-At", "-h", str(cluster), "-U", "postgres", "-d", "postgres"]
    done = subprocess.run(
        [*argv, "-c", query], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def _create_and_read_back(wrapper: AppProcess) -> None:
    wrapper.wait_until("/readyz", 200, timeout=READY_WITHIN_SECONDS)
    status, _, _ = call("POST", wrapper.base_url + "/users", b'{"id": 9, "name": "Local"}')
    assert status == 201
    status, _, fetched = call("GET", wrapper.base_url + "/users/9")
    assert (status, fetched["name"]) == (200, "Local")


def test_run_local_on_postgresql_serves_users_and_indexes_id_for_lookups(
    run_local: dict[str, str], tmp_path: Path
) -> None:
    if not _postgresql_installed():
        unavailable("no PostgreSQL server; run `make run-machine` (as root)")
    wrapper = AppProcess(
        {**run_local, "RUN_DATABASE": "postgresql"}, tmp_path / "run.log", argv=[str(RUN_LOCAL)]
    )
    wrapper.start()
    try:
        _create_and_read_back(wrapper)
        cluster = Path(run_local["RUN_DATA_DIR"]) / "postgresql"
        indexes = _psql(
            cluster,
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'users' AND indexdef LIKE '%gin%'",
        )
        plan_mode = _psql(cluster, "SHOW plan_cache_mode")
    finally:
        exit_code = _stop_service_then_wrapper(wrapper)

    log = wrapper.log_text()
    assert "data on PostgreSQL in" in log, log
    assert len(indexes) == 1, indexes
    assert "USING gin (((_jsonb -> '_id'::text)))" in indexes[0], indexes
    assert plan_mode == ["force_custom_plan"]
    assert exit_code == 0, log
    assert not (cluster / "postmaster.pid").exists(), "PostgreSQL still running after the wrapper"


def test_run_local_on_sqlite_needs_nothing_installed_and_says_what_it_costs(
    run_local: dict[str, str], tmp_path: Path
) -> None:
    wrapper = AppProcess(
        {**run_local, "RUN_DATABASE": "sqlite"}, tmp_path / "run.log", argv=[str(RUN_LOCAL)]
    )
    wrapper.start()
    try:
        _create_and_read_back(wrapper)
    finally:
        exit_code = _stop_service_then_wrapper(wrapper)

    log = wrapper.log_text()
    assert "data on SQLite in" in log, log
    assert "lookups scan the collection" in log, log
    assert exit_code == 0, log
