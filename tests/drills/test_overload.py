"""Overload drill: far more clients than the database can serve, with and without shedding.

The service runs as a real process on FerretDB; 48 closed-loop clients ask
for 100-user pages (the most expensive call) for a few seconds on
loopback, 12 times the database calls MAX_IN_FLIGHT admits. The figures are
printed (run with -s); the assertions are about behaviour, not speed:
nothing but 200 and the 503 overloaded problem, probes unaffected, recovery
at once. Timing bounds are sanity bounds only (a refusal that waited for the
database timeout would be a queue, not a refusal).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from pymongo import MongoClient

from tests.support.app_process import AppProcess, local_env

if TYPE_CHECKING:
    from collections.abc import Iterator

CLIENTS = 48
MAX_IN_FLIGHT = 4
LOAD_SECONDS = 4.0
USERS = 2000
PAGE = "/users?limit=100"
DATABASE_TIMEOUT_SECONDS = 5.0


@dataclass
class Tally:
    """Statuses and latencies of one load phase."""

    statuses: dict[str, int] = field(default_factory=dict)
    accepted_ms: list[float] = field(default_factory=list)
    shed_ms: list[float] = field(default_factory=list)
    other: list[str] = field(default_factory=list)
    probe_ms: list[float] = field(default_factory=list)
    probe_statuses: set[int] = field(default_factory=set)
    seconds: float = 0.0

    def record(self, status: int, problem: dict[str, Any] | None, elapsed_ms: float) -> None:
        key = str(status)
        if status == 503 and problem is not None and problem["type"].endswith("/overloaded"):
            key = "503 overloaded"
            self.shed_ms.append(elapsed_ms)
        elif status == 200:
            self.accepted_ms.append(elapsed_ms)
        else:
            self.other.append(f"{status} {problem}")
        self.statuses[key] = self.statuses.get(key, 0) + 1

    def summary(self, label: str) -> str:
        def p(values: list[float], q: int) -> str:
            if len(values) < 2:
                return "-"
            return f"{statistics.quantiles(values, n=100, method='inclusive')[q - 1]:.1f}"

        return (
            f"{label}: {sum(self.statuses.values())} requests in {self.seconds:.1f} s "
            f"({len(self.accepted_ms) / self.seconds:.0f}/s accepted), statuses {self.statuses}; "
            f"accepted p50 {p(self.accepted_ms, 50)} ms p99 {p(self.accepted_ms, 99)} ms; "
            f"shed p50 {p(self.shed_ms, 50)} ms p99 {p(self.shed_ms, 99)} ms; "
            f"/healthz and /readyz p99 {p(self.probe_ms, 99)} ms {sorted(self.probe_statuses)}"
        )


async def _client(session: aiohttp.ClientSession, base_url: str, tally: Tally, end: float) -> None:
    while time.monotonic() < end:
        started = time.monotonic()
        async with session.get(base_url + PAGE) as response:
            body = await response.read()
            problem = None
            if response.content_type == "application/problem+json":
                problem = await response.json(content_type=None)
                assert response.headers.get("Retry-After") == "1" or response.status != 503
        tally.record(response.status, problem, (time.monotonic() - started) * 1000)
        assert body


async def _prober(session: aiohttp.ClientSession, base_url: str, tally: Tally, end: float) -> None:
    while time.monotonic() < end:
        for path in ("/healthz", "/readyz"):
            started = time.monotonic()
            async with session.get(base_url + path) as response:
                await response.read()
            tally.probe_ms.append((time.monotonic() - started) * 1000)
            tally.probe_statuses.add(response.status)
        await asyncio.sleep(0.05)


async def load(base_url: str, *, clients: int, seconds: float) -> Tally:
    """Closed-loop clients for `seconds`, and a probe loop beside them."""
    tally = Tally()
    timeout = aiohttp.ClientTimeout(total=DATABASE_TIMEOUT_SECONDS * 3)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        started = time.monotonic()
        end = started + seconds
        await asyncio.gather(
            *(_client(session, base_url, tally, end) for _ in range(clients)),
            _prober(session, base_url, tally, end),
        )
        tally.seconds = time.monotonic() - started
    return tally


def _service(mongodb_uri: str, log_path: Any, max_in_flight: int) -> AppProcess:
    env = local_env(
        mongodb_uri,
        MAX_IN_FLIGHT=str(max_in_flight),
        MONGODB_TIMEOUT_SECONDS=str(DATABASE_TIMEOUT_SECONDS),
        LOG_LEVEL="warning",
    )
    client: MongoClient[dict[str, Any]] = MongoClient(mongodb_uri, timeoutMS=30_000)
    client[env["MONGODB_DATABASE"]]["users"].insert_many(
        [{"_id": n, "name": f"user {n}", "version": 1} for n in range(1, USERS + 1)]
    )
    client.close()
    process = AppProcess(env, log_path)
    process.start()
    process.wait_until("/readyz", 200)
    return process


@pytest.fixture(scope="module")
def shedding(ferretdb_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    process = _service(ferretdb_uri, tmp_path_factory.mktemp("shed") / "app.log", MAX_IN_FLIGHT)
    yield process
    process.stop()


async def test_overload_is_shed_fast_and_admitted_requests_stay_served(
    shedding: AppProcess,
) -> None:
    capacity = await load(shedding.base_url, clients=MAX_IN_FLIGHT, seconds=2.0)
    overload = await load(shedding.base_url, clients=CLIENTS, seconds=LOAD_SECONDS)
    recovery_started = time.monotonic()
    recovery = await load(shedding.base_url, clients=1, seconds=1.0)
    print(f"\n{capacity.summary(f'capacity ({MAX_IN_FLIGHT} clients)')}")
    print(overload.summary(f"overload ({CLIENTS} clients, MAX_IN_FLIGHT={MAX_IN_FLIGHT})"))
    print(recovery.summary("recovery (1 client, right after)"))
    first_ms = recovery.accepted_ms[0] if recovery.accepted_ms else float("nan")
    print(f"first request after the load: {first_ms:.1f} ms")

    assert overload.other == []
    assert overload.statuses.get("503 overloaded", 0) > 0
    assert len(overload.accepted_ms) > 0
    assert overload.probe_statuses == {200}
    # Sanity, not speed: no refusal waited for the database timeout.
    assert max(overload.shed_ms) < DATABASE_TIMEOUT_SECONDS * 1000
    assert set(recovery.statuses) == {"200"}
    assert time.monotonic() - recovery_started < 30


async def test_without_a_bound_the_same_load_queues_instead(
    ferretdb_uri: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The comparison: MAX_IN_FLIGHT far above the load, so every request waits its turn."""
    process = _service(ferretdb_uri, tmp_path_factory.mktemp("queue") / "app.log", 10_000)
    try:
        queued = await load(process.base_url, clients=CLIENTS, seconds=LOAD_SECONDS)
    finally:
        process.stop()
    print(f"\n{queued.summary(f'no bound ({CLIENTS} clients, MAX_IN_FLIGHT=10000)')}")
    assert "503 overloaded" not in queued.statuses
