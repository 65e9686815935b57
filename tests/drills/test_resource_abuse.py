"""Hostile clients (issue 15): bounded cost, honest accounting, quiet and safe logs.

Each test is one class of abuse, run against the real `python -m app` process.
"""

from __future__ import annotations

import gzip
import json
import socket
import time
from typing import TYPE_CHECKING

import pytest

from tests.support.app_process import AppProcess, local_env
from tests.support.blocking_http import call

if TYPE_CHECKING:
    from collections.abc import Iterator

MAX_BODY = 64 * 1024
UPLOAD_COST = 2 * MAX_BODY + 16 * 1024  # what the README says one upload reserves
BUDGET = 4 * UPLOAD_COST  # room for four maximum-size uploads at once
ESC = "\x1b"


@pytest.fixture(scope="module")
def guarded(ferretdb_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    """A service with a small upload budget, a 1 s header deadline and a long body timeout."""
    env = local_env(
        ferretdb_uri,
        MAX_BODY_BYTES=str(MAX_BODY),
        UPLOAD_BUDGET_BYTES=str(BUDGET),
        HEADER_READ_TIMEOUT_SECONDS="1",
        BODY_READ_TIMEOUT_SECONDS="30",
    )
    process = AppProcess(env, tmp_path_factory.mktemp("guarded") / "app.log")
    process.start()
    process.wait_until("/readyz", 200)
    yield process
    process.stop()


def connect(service: AppProcess, *, timeout: float = 8.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", int(service.env["PORT"])), timeout=timeout)


def read_answer(conn: socket.socket) -> bytes:
    """Everything the server sends until it closes (or the socket times out)."""
    chunks = []
    try:
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    except TimeoutError:
        pass
    return b"".join(chunks)


def read_response(conn: socket.socket) -> bytes:
    """One response (head and Content-Length body), without waiting for the connection to close."""
    data = b""
    while b"\r\n\r\n" not in data and (chunk := conn.recv(65536)):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    while len(body) < length and (chunk := conn.recv(65536)):
        body += chunk
    return head + b"\r\n\r\n" + body


def exchange(service: AppProcess, payload: bytes) -> bytes:
    with connect(service) as conn:
        conn.sendall(payload)
        return read_answer(conn)


def metric_lines(service: AppProcess, name: str) -> list[str]:
    with connect(service) as conn:
        conn.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        text = read_answer(conn).decode()
    return [line for line in text.splitlines() if line.startswith(name)]


def eventually_counted(service: AppProcess, name: str, needle: str) -> list[str]:
    """The metric's lines once one contains needle (requests finish after the client left)."""
    deadline = time.monotonic() + 5
    lines = metric_lines(service, name)
    while not any(needle in line for line in lines) and time.monotonic() < deadline:
        time.sleep(0.05)
        lines = metric_lines(service, name)
    return lines


def post(service: AppProcess, body: bytes, **headers: str) -> tuple[int, dict[str, str], dict]:  # type: ignore[type-arg]
    return call("POST", service.base_url + "/users", body, headers=headers)


def test_thousands_of_unknown_keys_get_a_problem_with_20_errors_and_a_count(
    guarded: AppProcess,
) -> None:
    keys = 6000
    body = ("{" + ",".join(f'"{n}":0' for n in range(keys)) + "}").encode()
    assert len(body) < MAX_BODY
    status, _, problem = post(guarded, body)
    assert status == 422
    assert len(problem["errors"]) == 20
    assert problem["error_count"] == keys + 2  # the unknown keys, plus id and name missing


def test_uploads_beyond_the_budget_get_503_before_sending_their_body(guarded: AppProcess) -> None:
    head = b"POST /users HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % MAX_BODY
    stalled = [connect(guarded) for _ in range(BUDGET // UPLOAD_COST)]
    try:
        for conn in stalled:
            conn.sendall(head + b" " * (MAX_BODY // 2))  # half a body, then nothing
        full = f"http_upload_reserved_bytes {float(BUDGET)}"
        assert eventually_counted(guarded, "http_upload_reserved_bytes ", full) == [full]
        with connect(guarded) as late:
            late.sendall(head)  # no body at all: the answer must not wait for it
            answer = read_response(late)
        assert answer.startswith(b"HTTP/1.1 503"), answer[:200]
        assert b"Retry-After: 1" in answer
        assert b"upload-budget-exhausted" in answer
    finally:
        for conn in stalled:
            conn.close()


def test_a_query_of_thousands_of_parameters_is_refused_with_a_bounded_problem(
    guarded: AppProcess,
) -> None:
    query = "&".join(f"{n:x}" for n in range(1500))  # about 6 KB: within the request line
    status, _, problem = call("GET", f"{guarded.base_url}/users?{query}")
    assert status == 422
    assert len(json.dumps(problem)) < 1000


def test_a_client_that_disconnects_mid_body_is_a_499_without_traceback(
    guarded: AppProcess,
) -> None:
    with connect(guarded) as conn:
        conn.sendall(b'POST /users HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"id": 1,')
    counted = eventually_counted(guarded, "http_requests_total", 'status="499"')
    assert any('status="499"' in line for line in counted)
    assert not any('status="500"' in line for line in counted)
    assert "Traceback" not in guarded.log_text()
    assert "unhandled_error" not in guarded.log_text()


def test_a_body_that_does_not_decompress_is_400_and_an_unknown_encoding_415(
    guarded: AppProcess,
) -> None:
    status, _, problem = post(guarded, b"not gzip at all", **{"Content-Encoding": "gzip"})
    assert (status, problem["status"]) == (400, 400)
    status, headers, _ = post(guarded, b'{"id": 1}', **{"Content-Encoding": "compress"})
    assert status == 415
    assert headers["Accept-Encoding"] == "gzip, deflate"
    valid = gzip.compress(b'{"id": 1, "name": "x", "extra": 1}')
    status, _, problem = post(guarded, valid, **{"Content-Encoding": "gzip"})
    assert (status, problem["errors"][0]["pointer"]) == (422, "#/extra")


def test_a_broken_body_no_handler_reads_is_counted_without_traceback(guarded: AppProcess) -> None:
    headers = {"Content-Encoding": "gzip"}
    status, _, _ = call("DELETE", guarded.base_url + "/users/999", b"not gzip", headers=headers)
    assert status == 404  # answered; aiohttp then drains the body and meets the bad encoding
    counted = eventually_counted(
        guarded, "http_protocol_errors_total{", 'error="ContentEncodingError"'
    )
    assert any('error="ContentEncodingError"' in line for line in counted)
    assert "Traceback" not in guarded.log_text()


@pytest.mark.parametrize("pause", [0.0, 0.3], ids=["one packet", "valid chunk first"])
def test_a_malformed_chunk_is_answered_400_at_once(guarded: AppProcess, pause: float) -> None:
    with connect(guarded) as conn:  # the body timeout is 30 s, the socket's 8 s
        conn.sendall(
            b'POST /users HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"id"\r\n'
        )
        time.sleep(pause)
        conn.sendall(b"zz\r\n")
        answer = read_answer(conn)
    assert answer[:12] in {b"HTTP/1.1 400", b"HTTP/1.0 400"}, answer[:200]
    assert b"application/problem+json" in answer


def test_malformed_http_is_a_counted_problem_and_not_a_log_flood(guarded: AppProcess) -> None:
    before = len(guarded.log_text())
    answers = [
        exchange(guarded, b"GET / HTTP/1.1\r\nHost: x\r\nX-A: \x01\r\n\r\n") for _ in range(50)
    ]
    for answer in answers:
        assert answer[:12] in {b"HTTP/1.1 400", b"HTTP/1.0 400"}, answer[:200]
        assert b"Content-Type: application/problem+json" in answer
        assert b"X-Request-ID: " in answer
    written = guarded.log_text()[before:]
    assert "Traceback" not in written
    assert len(written) < 2000, written[:3000]  # rate-limited: a line or two, not fifty
    counted = metric_lines(guarded, "http_protocol_errors_total{")
    assert sum(float(line.rsplit(" ", 1)[1]) for line in counted) >= 50


def test_headers_that_never_finish_get_408_and_the_connection_closed(guarded: AppProcess) -> None:
    with connect(guarded) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # the blank line never comes
        answer = read_answer(conn)  # HEADER_READ_TIMEOUT_SECONDS is 1, the socket's 8
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    with connect(guarded) as silent:  # a connection that never sends anything
        assert read_answer(silent).startswith(b"HTTP/1.1 408")
    assert metric_lines(guarded, "http_header_read_timeouts_total ") != [
        "http_header_read_timeouts_total 0.0"
    ]


def test_duplicate_keys_are_refused_with_400(guarded: AppProcess) -> None:
    status, _, problem = post(guarded, b'{"id": 15, "name": "a", "name": "b"}')
    assert (status, problem["type"]) == (400, "tag:users-api,2026:problems/malformed-json")
    assert "repeats an object key" in problem["detail"]
    assert call("GET", guarded.base_url + "/users/15")[0] == 404


@pytest.mark.parametrize("name", ["\u200b", " ", "\u202eevil", "\u2066x\u2069", " \u200d\t\ufeff"])
def test_invisible_or_reordering_names_are_refused(guarded: AppProcess, name: str) -> None:
    status, _, problem = post(guarded, json.dumps({"id": 16, "name": name}).encode())
    assert status == 422, problem
    assert problem["errors"][0]["pointer"] == "#/name"


def test_names_are_stored_in_nfc(guarded: AppProcess) -> None:
    status, _, user = post(guarded, json.dumps({"id": 17, "name": "Jose\u0301"}).encode())
    assert (status, user["name"]) == (201, "Jos\u00e9")


def test_console_logs_escape_terminal_control_sequences(
    ferretdb_uri: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    env = local_env(ferretdb_uri, LOG_FORMAT="console")
    process = AppProcess(env, tmp_path_factory.mktemp("console") / "app.log")
    process.start()
    try:
        process.wait_until("/healthz", 200)
        exchange(
            process, b"GET /users/%1b%5b31mred HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        exchange(process, b"GET /\x1b[31m HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        process.wait_until("/healthz", 200)
    finally:
        process.stop()
    text = process.log_text()
    assert "/users/\\x1b[31mred" in text
    assert ESC not in text  # nor colours: stdout is a file here, not a terminal
