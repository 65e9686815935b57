"""The real `python -m app` process: the seed's flow, its logs, and graceful shutdown."""

from __future__ import annotations

import json
import re
import signal
import socket
import time
from typing import TYPE_CHECKING

from tests.support.blocking_http import call, http_status

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.app_process import AppProcess

ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def test_seed_curl_flow_works_against_the_process(start_app: Callable[..., AppProcess]) -> None:
    app = start_app()
    app.wait_until("/readyz", 200)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, headers, created = call(
        "POST", app.base_url + "/users", b'{"id": 2, "name": "Alice"}', headers=form
    )
    assert (status, headers["Location"]) == (201, "/users/2")
    status, _, fetched = call("GET", app.base_url + "/users?id=2")
    assert status == 200
    assert fetched == created
    assert (fetched["id"], fetched["name"]) == (2, "Alice")

    # At the default level, traffic is logged and the probes polled above are not.
    logged_routes = {e["route"] for e in app.log_events() if e["event"] == "request"}
    assert logged_routes == {"/users"}


def test_every_log_line_is_json_and_requests_carry_their_id(
    start_app: Callable[..., AppProcess],
) -> None:
    app = start_app(LOG_LEVEL="debug")
    app.wait_until("/readyz", 200)
    call("GET", app.base_url + "/users/77", headers={"X-Request-ID": "trace-77"})
    # A request line the HTTP parser rejects is one JSON warning line, without a traceback.
    with socket.create_connection(("127.0.0.1", int(app.env["PORT"]))) as raw:
        raw.sendall(b"\x16\x03\x01 not http\r\n\r\n")
        raw.recv(1024)
    app.signal(signal.SIGTERM)
    assert app.wait(timeout=20) == 0

    events = app.log_events()
    for event in events:
        assert {"timestamp", "level", "event"} <= event.keys()
        assert ISO_UTC.fullmatch(event["timestamp"]), event
    access = [e for e in events if e["event"] == "request" and e.get("request_id") == "trace-77"]
    assert len(access) == 1
    assert access[0] | {"duration_ms": 0} == {
        "event": "request",
        "level": "info",
        "timestamp": access[0]["timestamp"],
        "request_id": "trace-77",
        "method": "GET",
        "route": "/users/{id}",
        "path": "/users/77",
        "status": 404,
        "duration_ms": 0,
    }
    protocol_errors = [e for e in events if e["event"] == "http_protocol_error"]
    assert [(e["level"], e["error"]) for e in protocol_errors] == [("warning", "BadHttpMethod")]
    assert "exception" not in protocol_errors[0]


def test_sigterm_fails_readiness_finishes_in_flight_requests_and_exits_0(
    start_app: Callable[..., AppProcess],
) -> None:
    delay, timeout = 1.5, 5.0
    app = start_app(SHUTDOWN_DELAY_SECONDS=str(delay), SHUTDOWN_TIMEOUT_SECONDS=str(timeout))
    app.wait_until("/readyz", 200)
    body = json.dumps({"id": 31, "name": "In flight"}).encode()
    head = (
        f"POST /users HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()

    with socket.create_connection(("127.0.0.1", int(app.env["PORT"])), timeout=15) as in_flight:
        in_flight.sendall(head + body[:10])  # the request is accepted, its body half sent
        time.sleep(0.2)
        signalled = time.monotonic()
        app.signal(signal.SIGTERM)

        app.wait_until("/readyz", 503, timeout=delay)
        assert http_status(app.base_url + "/healthz") == 200  # still serving during the delay
        time.sleep(delay + 0.5)  # past the delay: no longer accepting, but draining
        assert http_status(app.base_url + "/healthz", timeout=0.5) is None

        in_flight.sendall(body[10:])
        response = in_flight.recv(65536).decode()
    assert response.startswith("HTTP/1.1 201"), response

    assert app.wait(timeout=timeout + 5) == 0
    assert time.monotonic() - signalled < delay + timeout + 5
    events = [event["event"] for event in app.log_events()]
    assert events.index("shutdown_started") < events.index("shutdown_complete")
    assert events[-1] == "shutdown_complete"
