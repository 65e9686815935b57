"""The database under the benchmark: FerretDB on a throwaway PostgreSQL, or MONGODB_URI.

FerretDB's SQLite backend only pushes `_id` equality of strings and ObjectIDs
down to SQL and filters everything else in Go, which would measure FerretDB
rather than the service; its PostgreSQL backend pushes integer `_id` lookups down.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench.processes import LOOPBACK, RunAs, StartupError, child_process, free_port
from bench.processes import wait_until_listening as wait_listening

if TYPE_CHECKING:
    from collections.abc import Iterator

REPO = Path(__file__).resolve().parent.parent
FERRETDB = REPO / ".tools" / "bin" / "ferretdb"
POSTGRES_USER = "postgres"
READY_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Backend:
    """Where the service and the raw-driver limit send their queries."""

    uri: str
    description: str
    managed: bool


def postgres_bindir() -> Path:
    """Debian keeps the server binaries off PATH, under /usr/lib/postgresql/<major>/bin."""
    if configured := os.environ.get("PG_BINDIR"):
        return Path(configured)
    majors = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name)
    )
    if majors:
        return majors[-1]
    if initdb := shutil.which("initdb"):
        return Path(initdb).resolve().parent
    raise StartupError("PostgreSQL not found: run `make bench-machine` or set PG_BINDIR")


def _run_as() -> RunAs | None:
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(POSTGRES_USER)
    except KeyError:
        raise StartupError("running as root needs a 'postgres' user to run PostgreSQL") from None
    return RunAs(user=entry.pw_name, gid=entry.pw_gid)


def _version(binary: Path) -> str:
    output = subprocess.run(  # noqa: S603 - a fixed tool path
        [str(binary), "--version"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    found = re.search(r"v?\d+\.\d+(\.\d+)?", output)
    return found.group(0) if found else output.strip()


@contextlib.contextmanager
def postgres_cluster(workdir: Path, *, custom_plans: bool = False) -> Iterator[str]:
    """A fresh cluster (trust auth, loopback only) on a free port; yields its URL.

    custom_plans: plan every statement with its parameters filled in
    (`plan_cache_mode = force_custom_plan`), as scripts/ferretdb-id-index.sql needs.
    """
    bindir = postgres_bindir()
    run_as = _run_as()
    data = workdir / "pgdata"
    data.mkdir(mode=0o700)
    if run_as is not None:
        shutil.chown(workdir, user=run_as.user)
        shutil.chown(data, user=run_as.user)
    initdb = [str(bindir / "initdb"), "-D", str(data), "-U", POSTGRES_USER, "--auth=trust"]
    with child_process(
        [*initdb, "--no-sync", "-E", "UTF8"], log_path=workdir / "initdb.log", run_as=run_as
    ) as process:
        if process.wait(timeout=120) != 0:
            raise StartupError(f"initdb failed; see {workdir / 'initdb.log'}")
    port = free_port()
    server = [str(bindir / "postgres"), "-D", str(data), "-p", str(port), "-h", LOOPBACK]
    if custom_plans:
        server += ["-c", "plan_cache_mode=force_custom_plan"]
    # Fast shutdown on SIGINT: the data is thrown away anyway.
    with child_process(
        [*server, "-k", str(workdir)],
        log_path=workdir / "postgres.log",
        run_as=run_as,
        stop_signal=signal.SIGINT,
    ) as process:
        wait_listening(process, port=port, name="postgres", timeout_seconds=READY_SECONDS)
        _wait_accepting(bindir, port=port, process=process)
        yield f"postgres://{POSTGRES_USER}@{LOOPBACK}:{port}/postgres"


def _wait_accepting(bindir: Path, *, port: int, process: subprocess.Popen[bytes]) -> None:
    """The port opens before start-up recovery ends; pg_isready says when queries work."""
    deadline = time.monotonic() + READY_SECONDS
    argv = [str(bindir / "pg_isready"), "-q", "-h", LOOPBACK, "-p", str(port)]
    while time.monotonic() < deadline:
        if subprocess.run(argv, check=False, timeout=10).returncode == 0:  # noqa: S603
            return
        if process.poll() is not None:
            break
        time.sleep(0.1)
    raise StartupError("postgres did not accept connections; see postgres.log")


@contextlib.contextmanager
def ferretdb(workdir: Path, *, postgresql_url: str) -> Iterator[str]:
    """FerretDB on the PostgreSQL handler, on a free loopback port; yields a mongodb:// URI."""
    handler = ["--handler=postgresql", f"--postgresql-url={postgresql_url}"]
    with _ferretdb(workdir, handler=handler) as uri:
        yield uri


@contextlib.contextmanager
def ferretdb_sqlite(workdir: Path) -> Iterator[str]:
    """FerretDB on the SQLite handler (what `make run` starts), data in workdir/sqlite."""
    data = workdir / "sqlite"
    data.mkdir()
    with _ferretdb(workdir, handler=["--handler=sqlite", f"--sqlite-url=file:{data}/"]) as uri:
        yield uri


@contextlib.contextmanager
def _ferretdb(workdir: Path, *, handler: list[str]) -> Iterator[str]:
    if not FERRETDB.exists():
        raise StartupError(f"{FERRETDB} missing: run `make bench` (it builds it) first")
    port = free_port()
    argv = [
        str(FERRETDB),
        *handler,
        f"--listen-addr={LOOPBACK}:{port}",
        f"--state-dir={workdir}",
        "--debug-addr=-",
        "--telemetry=disable",
        "--log-level=warn",
    ]
    with child_process(argv, log_path=workdir / "ferretdb.log") as process:
        wait_listening(process, port=port, name="ferretdb", timeout_seconds=READY_SECONDS)
        yield f"mongodb://{LOOPBACK}:{port}/"


@contextlib.contextmanager
def backend(workdir: Path) -> Iterator[Backend]:
    """MONGODB_URI when set (not managed here), else FerretDB on a throwaway PostgreSQL."""
    if external := os.environ.get("MONGODB_URI"):
        yield Backend(uri=external, description="MONGODB_URI (external server)", managed=False)
        return
    with (
        postgres_cluster(workdir) as postgresql_url,
        ferretdb(workdir, postgresql_url=postgresql_url) as uri,
    ):
        bindir = postgres_bindir()
        description = (
            f"FerretDB {_version(FERRETDB)} (PostgreSQL handler) on "
            f"PostgreSQL {_version(bindir / 'postgres')}, loopback"
        )
        yield Backend(uri=uri, description=description, managed=True)
