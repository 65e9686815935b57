"""Database outage drill: the process stays up, fails fast, and recovers by itself."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from tests.support.blocking_http import call, http_status

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.app_process import AppProcess
    from tests.support.ferretdb import FerretDB

DB_TIMEOUT_SECONDS = 1.0


def test_outage_turns_readiness_503_and_recovery_needs_no_restart(
    start_app: Callable[..., AppProcess], private_ferretdb: FerretDB
) -> None:
    app = start_app(
        MONGODB_URI=private_ferretdb.uri, MONGODB_TIMEOUT_SECONDS=str(DB_TIMEOUT_SECONDS)
    )
    app.wait_until("/readyz", 200)
    for user_id in range(1, 21):
        body = json.dumps({"id": user_id, "name": f"before {user_id}"}).encode()
        assert call("POST", app.base_url + "/users", body)[0] == 201

    private_ferretdb.stop(crash=True)  # SIGKILL: gone at once, connections and all
    flipped_after = app.wait_until("/readyz", 503, timeout=3.0)
    assert http_status(app.base_url + "/healthz") == 200
    requests: list[tuple[str, str, bytes | None]] = [
        ("POST", "/users", b'{"id": 99, "name": "during"}'),
        ("GET", "/users/1", None),
    ]
    for method, path, payload in requests:
        started = time.monotonic()
        status, headers, problem = call(method, app.base_url + path, payload)
        assert (status, headers["Retry-After"]) == (503, "1")
        assert problem["type"].endswith("/database-unavailable")
        assert time.monotonic() - started < DB_TIMEOUT_SECONDS + 2

    private_ferretdb.start()
    recovered_after = app.wait_until("/readyz", 200, timeout=10.0)
    assert app.process is not None
    assert app.process.poll() is None  # the same process, never restarted
    for user_id in range(1, 21):
        status, _, user = call("GET", f"{app.base_url}/users/{user_id}")
        assert (status, user["name"]) == (200, f"before {user_id}")
    assert call("GET", app.base_url + "/users/99")[0] == 404
    print(
        f"readiness 503 {flipped_after:.2f}s after FerretDB was killed, "
        f"200 again {recovered_after:.2f}s after its restart"
    )
