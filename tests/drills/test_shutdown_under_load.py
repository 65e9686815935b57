"""Graceful shutdown under load: no accepted request fails, readiness flips, exit 0 in time."""

from __future__ import annotations

import http.client
import itertools
import json
import signal
import threading
import time
import urllib.error
from typing import TYPE_CHECKING

from tests.support.app_process import AppProcess, local_env
from tests.support.blocking_http import call
from tests.support.ports import free_port

if TYPE_CHECKING:
    from pathlib import Path

DELAY_SECONDS = 1.5
TIMEOUT_SECONDS = 5.0
CLIENTS = 8


class CreateLoad:
    """Client threads creating users back to back, each on a new connection."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.created: list[int] = []
        self.refused: list[int] = []
        # Connections the kernel had queued when the listener closed are reset
        # before the service ever reads them; the final read-back proves that
        # none of these requests was processed.
        self.reset: list[int] = []
        self.failures: list[str] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run) for _ in range(CLIENTS)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=15)

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                user_id = next(self._ids)
            body = json.dumps({"id": user_id, "name": "load"}).encode()
            try:
                status, _, _ = call("POST", self.base_url + "/users", body, timeout=10)
            except urllib.error.URLError as error:
                if not isinstance(error.reason, ConnectionRefusedError):
                    self.failures.append(f"{user_id}: {error!r}")
                    continue
                self.refused.append(user_id)  # never accepted: the listener is closed
                time.sleep(0.01)
            except (ConnectionResetError, http.client.RemoteDisconnected):
                self.reset.append(user_id)
            except OSError as error:
                self.failures.append(f"{user_id}: {error!r}")
            else:
                if status == 201:
                    self.created.append(user_id)
                else:
                    self.failures.append(f"{user_id}: HTTP {status}")


def stored_ids(base_url: str) -> set[int]:
    """Every id the service has, by walking the pages."""
    ids: set[int] = set()
    after = ""
    while True:
        _, _, page = call("GET", f"{base_url}/users?limit=1000{after}")
        ids.update(user["id"] for user in page["items"])
        if page["next_after"] is None:
            return ids
        after = f"&after={page['next_after']}"


def test_sigterm_under_load_fails_no_accepted_request(ferretdb_uri: str, tmp_path: Path) -> None:
    env = local_env(
        ferretdb_uri,
        SHUTDOWN_DELAY_SECONDS=str(DELAY_SECONDS),
        SHUTDOWN_TIMEOUT_SECONDS=str(TIMEOUT_SECONDS),
    )
    app = AppProcess(env, tmp_path / "app.log")
    app.start()
    load = CreateLoad(app.base_url)
    try:
        app.wait_until("/readyz", 200)
        load.start()
        time.sleep(1.0)
        before_signal = len(load.created)
        signalled = time.monotonic()
        app.signal(signal.SIGTERM)
        app.wait_until("/readyz", 503, timeout=DELAY_SECONDS)
        exit_code = app.wait(timeout=DELAY_SECONDS + TIMEOUT_SECONDS + 5)
        stopped_after = time.monotonic() - signalled
    finally:
        load.stop()
        app.stop()

    assert exit_code == 0
    assert stopped_after < DELAY_SECONDS + TIMEOUT_SECONDS + 2
    assert load.failures == []
    assert len(load.created) > before_signal > 0  # served before and during the delay
    assert load.refused  # and refused only once it stopped accepting

    verifier = AppProcess({**env, "PORT": str(free_port())}, tmp_path / "verify.log")
    verifier.start()
    try:
        verifier.wait_until("/readyz", 200)
        # Every 201 is kept, and nothing else: no reset request was half-done.
        assert stored_ids(verifier.base_url) == set(load.created)
    finally:
        verifier.stop()
    print(
        f"{len(load.created)} created, {len(load.refused)} refused at connect, "
        f"{len(load.reset)} reset from the listen queue (none stored), 0 failed"
    )
