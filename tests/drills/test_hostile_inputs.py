"""Hostile input, hand-written: every one gets a 4xx problem and the service stays healthy."""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING

import pytest

from tests.support.blocking_http import call, http_status

if TYPE_CHECKING:
    from tests.support.app_process import AppProcess

TWO_MIB = 2 * 1024 * 1024

HOSTILE_BODIES: list[tuple[str, bytes]] = [
    ("deep nesting", b'{"id": ' + b"[" * 200_000 + b"]" * 200_000 + b', "name": "x"}'),
    ("huge exponent", b'{"id": 1e999999, "name": "x"}'),
    ("5000-digit id", b'{"id": ' + b"9" * 5000 + b', "name": "x"}'),
    ("negative zero", b'{"id": -0, "name": "x"}'),
    ("invalid utf-8", b'{"id": 1, "name": "\xc3\x28"}'),
    ("overlong utf-8", b'{"id": 1, "name": "\xc0\xaf"}'),
    ("NaN", b'{"id": NaN, "name": "x"}'),
    ("operator in id", b'{"id": {"$gt": 0}, "name": "x"}'),
    ("operator in name", b'{"id": 1, "name": {"$regex": ".*"}}'),
    ("operator key", b'{"id": 1, "name": "x", "$where": "sleep(1000)"}'),
    ("nested operator key", b'{"id": 1, "name": "x", "a": {"$set": {"admin": true}}}'),
    ("null byte in name", b'{"id": 1, "name": "a\\u0000b"}'),
    ("duplicate keys", b'{"id": 1, "id": "1", "name": "x"}'),
    ("two mebibytes", b'{"id": 1, "name": "' + b"x" * TWO_MIB + b'"}'),
]


@pytest.mark.parametrize(
    "body", [body for _, body in HOSTILE_BODIES], ids=[n for n, _ in HOSTILE_BODIES]
)
def test_hostile_body_gets_a_4xx_problem(service: AppProcess, body: bytes) -> None:
    status, headers, problem = call("POST", service.base_url + "/users", body)
    assert 400 <= status < 500
    assert headers["Content-Type"] == "application/problem+json"
    assert problem["status"] == status
    assert call("GET", service.base_url + "/users/1")[0] == 404  # nothing was written


@pytest.mark.parametrize(
    "target",
    [
        "/users?id[$gt]=0",
        "/users?id=1%00",
        "/users/%00",
        "/users/1;drop",
        "/users?limit=" + "9" * 5000,
        "/users?" + "&".join(f"p{n}=1" for n in range(500)),
    ],
)
def test_hostile_query_or_path_gets_a_4xx(service: AppProcess, target: str) -> None:
    status = http_status(service.base_url + target)
    assert status is not None
    assert 400 <= status < 500


def raw_exchange(service: AppProcess, payload: bytes, *, pause: float = 0.0) -> bytes:
    with socket.create_connection(("127.0.0.1", int(service.env["PORT"])), timeout=10) as conn:
        conn.sendall(payload)
        time.sleep(pause)
        return conn.recv(65536)


def test_slow_body_is_cut_off_with_408(service: AppProcess) -> None:
    head = b"POST /users HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
    started = time.monotonic()
    answer = raw_exchange(service, head + b'{"id": 1,')  # then nothing more
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert time.monotonic() - started < 5  # BODY_READ_TIMEOUT_SECONDS is 1 here


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n",
        b"POST /users HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        b"POST /users HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
    ids=["long request line", "huge header", "negative length", "bad chunk"],
)
def test_broken_http_gets_a_4xx(service: AppProcess, request_bytes: bytes) -> None:
    answer = raw_exchange(service, request_bytes)
    assert answer[:10] in {b"HTTP/1.1 4", b"HTTP/1.0 4"}, answer[:200]


def test_service_is_still_healthy_after_the_abuse(service: AppProcess) -> None:
    assert http_status(service.base_url + "/readyz") == 200
    status, _, user = call("POST", service.base_url + "/users", b'{"id": 77, "name": "ok"}')
    assert (status, user["name"]) == (201, "ok")
