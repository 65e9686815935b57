"""What conditional requests and load shedding cost, printed by `make bench`.

- ETag cost: the per-request CPU that ETags and If-Match/If-None-Match add,
  measured in-process on the response path the handlers use (the database
  call is the same either way: the version comes with the document).
- Shedding: a service with a small MAX_IN_FLIGHT driven at 64 connections
  with lookups of random seeded users, closed loop, on loopback and bounded
  in time (a page call would only measure FerretDB's full scans timing out).
  Accepted and shed requests are timed apart, /healthz is probed beside the
  load, and one request right after shows the recovery.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
import timeit
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import aiohttp
import uvloop
from aiohttp.test_utils import make_mocked_request

from app.responses import json_response
from app.users.conditional import etag, if_match, user_response
from app.users.models import StoredUser, User
from bench.service import users_api
from bench.stats import percentile

if TYPE_CHECKING:
    from pathlib import Path

SHED_LIMIT = 4
SHED_CONNECTIONS = 64
_ITERATIONS = 20_000


def etag_costs() -> list[str]:
    """Microseconds per request that the conditional-request code adds, measured in-process."""
    now = dt.datetime.now(dt.UTC)
    stored = StoredUser(User(id=42, name="bench user", created_at=now, updated_at=now), 7)
    tag = etag(stored.revision)
    plain = make_mocked_request("GET", "/users/42")
    matching = make_mocked_request("GET", "/users/42", headers={"If-None-Match": tag})
    put = make_mocked_request("PUT", "/users/42", headers={"If-Match": tag})

    def per_call_us(call: object) -> float:
        return min(timeit.repeat(call, number=_ITERATIONS, repeat=5)) / _ITERATIONS * 1e6  # type: ignore[arg-type]

    without = per_call_us(lambda: json_response(stored.user))
    with_etag = per_call_us(lambda: user_response(plain, stored))
    not_modified = per_call_us(lambda: user_response(matching, stored))
    parse_if_match = per_call_us(lambda: if_match(put))
    return [
        (
            f"ETag on a user response: {with_etag - without:+.2f} us/request "
            f"({without:.2f} -> {with_etag:.2f} us to build the response)"
        ),
        f"If-None-Match hit (304, no body): {not_modified:.2f} us to build the response",
        (
            f"If-Match parsing on PUT/DELETE: {parse_if_match:.2f} us/request; the version filter "
            "rides in the same database call"
        ),
    ]


@dataclass
class _Tally:
    accepted_ms: list[float] = field(default_factory=list)
    shed_ms: list[float] = field(default_factory=list)
    other: dict[int, int] = field(default_factory=dict)
    probe_ms: list[float] = field(default_factory=list)
    recovery_status: int = 0
    recovery_ms: float = 0.0


async def _drive(base_url: str, seconds: float, users: int) -> _Tally:
    tally = _Tally()
    end = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=timeout) as session:

        async def client() -> None:
            choose = random.Random(time.monotonic_ns()).randint  # noqa: S311 - not security
            while time.monotonic() < end:
                started = time.monotonic()
                async with session.get(f"/users/{choose(1, users)}") as response:
                    body = await response.read()
                elapsed = (time.monotonic() - started) * 1000
                if response.status == 200:  # noqa: PLR2004
                    tally.accepted_ms.append(elapsed)
                elif response.status == 503 and b"/overloaded" in body:  # noqa: PLR2004
                    tally.shed_ms.append(elapsed)
                else:
                    tally.other[response.status] = tally.other.get(response.status, 0) + 1

        async def prober() -> None:
            while time.monotonic() < end:
                started = time.monotonic()
                async with session.get("/healthz") as response:
                    await response.read()
                tally.probe_ms.append((time.monotonic() - started) * 1000)
                await asyncio.sleep(0.05)

        await asyncio.gather(*(client() for _ in range(SHED_CONNECTIONS)), prober())
        started = time.monotonic()
        async with session.get("/users/1") as response:
            await response.read()
        tally.recovery_status = response.status
        tally.recovery_ms = (time.monotonic() - started) * 1000
    return tally


def _p(values: list[float], rank: float) -> str:
    return f"{percentile(sorted(values), rank):.1f}"


def shedding_figures(
    workdir: Path, *, mongodb_uri: str, database: str, seconds: int, users: int
) -> list[str]:
    """Overload a service bounded at SHED_LIMIT database calls; the figures as lines."""
    overrides = {"MAX_IN_FLIGHT": str(SHED_LIMIT), "LOG_LEVEL": "warning"}
    with users_api(
        workdir, mongodb_uri=mongodb_uri, database=database, env_overrides=overrides
    ) as service:
        tally = uvloop.run(_drive(service.base_url, seconds, users))
    total = len(tally.accepted_ms) + len(tally.shed_ms) + sum(tally.other.values())
    return [
        (
            f"shedding (MAX_IN_FLIGHT={SHED_LIMIT}, {SHED_CONNECTIONS} connections"
            f" on GET /users/{{id}}, {seconds} s): {total} requests, "
            f"{len(tally.accepted_ms) / seconds:.0f}/s accepted, "
            f"{len(tally.shed_ms) / seconds:.0f}/s shed, other statuses {tally.other or 'none'}"
        ),
        (
            f"  accepted p50 {_p(tally.accepted_ms, 50)} ms p99 {_p(tally.accepted_ms, 99)} ms; "
            f"shed (503 overloaded) p50 {_p(tally.shed_ms, 50)} ms p99 {_p(tally.shed_ms, 99)} ms; "
            f"/healthz p99 {_p(tally.probe_ms, 99)} ms"
        ),
        f"  first request after the load: {tally.recovery_status} in {tally.recovery_ms:.1f} ms",
    ]
