"""`make run` (scripts/run-local): a signal stops the service first, the database last.

The wrapper is started in a session of its own, as a terminal starts a job, so the test can
send a signal to the wrapper alone (a supervisor's SIGTERM) or to the whole process group
(Ctrl-C) and then check that nothing of the group outlived it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import uuid
from typing import TYPE_CHECKING

import pytest

from tests.support.app_process import AppProcess
from tests.support.blocking_http import call
from tests.support.ports import free_port
from tests.support.tiers import REPO_ROOT, find_tool

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

RUN_LOCAL = REPO_ROOT / "scripts" / "run-local"
SHUTDOWN_DELAY_SECONDS = 2.0


def port_is_free(port: int) -> bool:
    """Whether nothing listens on the loopback port (a bind succeeds)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def group_alive(pgid: int) -> bool:
    """Whether any process of the group still exists."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def run_local(tmp_path: Path) -> Iterator[AppProcess]:
    """scripts/run-local on free ports, with its FerretDB (on SQLite) in the test's directory."""
    ferretdb = find_tool("ferretdb", install_hint="run `make test`, which installs it")
    env = {
        "FERRETDB": str(ferretdb),
        "PORT": str(free_port()),
        "HOST": "127.0.0.1",
        "FERRETDB_PORT": str(free_port()),
        "RUN_DATA_DIR": str(tmp_path / "run"),
        "RUN_DATABASE": "sqlite",
        "MONGODB_DATABASE": f"test_{uuid.uuid4().hex[:16]}",
        "LOG_FORMAT": "json",
        "SHUTDOWN_DELAY_SECONDS": str(SHUTDOWN_DELAY_SECONDS),
        "SHUTDOWN_TIMEOUT_SECONDS": "5",
        "HOME": os.environ.get("HOME", "/root"),
    }
    wrapper = AppProcess(env, tmp_path / "run-local.log", argv=[str(RUN_LOCAL)])
    log = wrapper.log_path.open("wb")
    wrapper.process = subprocess.Popen(
        wrapper.argv,
        cwd=REPO_ROOT,
        env=wrapper.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, like a job started from a shell
    )
    yield wrapper
    log.close()
    if group_alive(wrapper.process.pid):
        os.killpg(wrapper.process.pid, signal.SIGKILL)  # only this test's own group
    wrapper.process.wait()


def json_events(text: str) -> list[str]:
    """The `event` of every JSON line the service logged (the wrapper's own lines are text)."""
    events = []
    for line in text.splitlines():
        if line.startswith("{"):
            events.append(json.loads(line)["event"])
        elif line.startswith("run-local:"):
            events.append(line)
    return events


@pytest.mark.parametrize(
    "how",
    [
        pytest.param("sigterm-to-wrapper", id="sigterm-to-wrapper"),
        pytest.param("sigint-to-group", id="ctrl-c"),
    ],
)
def test_signal_drains_the_service_before_the_database_stops_and_leaves_no_orphan(
    run_local: AppProcess, how: str
) -> None:
    assert run_local.process is not None
    pid = run_local.process.pid
    run_local.wait_until("/readyz", 200, timeout=30)

    if how == "sigterm-to-wrapper":
        os.kill(pid, signal.SIGTERM)
    else:
        os.killpg(pid, signal.SIGINT)
    signalled = time.monotonic()

    # The service got the signal: it fails readiness but keeps serving through its delay, and
    # the database is still there, so a write made now succeeds.
    run_local.wait_until("/readyz", 503, timeout=SHUTDOWN_DELAY_SECONDS)
    status, _, _ = call("POST", run_local.base_url + "/users", b'{"id": 7, "name": "late"}')
    # 201: accepted (so still inside the delay, before the listener closed) and stored.
    assert status == 201, run_local.log_text()[-3000:]

    assert run_local.wait(timeout=30) == 0, run_local.log_text()[-3000:]
    assert not group_alive(pid), "a process of run-local outlived it"
    assert port_is_free(int(run_local.env["PORT"]))
    assert port_is_free(int(run_local.env["FERRETDB_PORT"]))

    events = json_events(run_local.log_text())
    stopping = next(i for i, e in enumerate(events) if e.startswith("run-local: stopping FerretDB"))
    assert events.index("shutdown_complete") < stopping, events
    print(f"run-local exited {time.monotonic() - signalled:.2f}s after {how}")
