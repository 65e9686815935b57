"""Which loads run, in which order: each API scenario beside its limit, concurrency by concurrency.

A scenario and its limit run back to back at each concurrency, so both see
the same machine state; GETs run before POSTs, so reads see only the seeded users.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bench.driver_limit import Workload, run_driver
from bench.processes import cpu_seconds
from bench.results import TRIVIAL
from bench.wrk import Load, run_wrk

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from bench.measurement import Measurement

# Far apart, so no two runs (nor their wrk threads or driver workers) reuse an id.
ID_BASE_STRIDE = 100_000_000_000


@dataclass(frozen=True, slots=True)
class Step:
    """One scenario; `run(concurrency, seconds)` performs one bounded load."""

    scenario: str
    run: Callable[[int, int], Measurement]


@dataclass(frozen=True, slots=True)
class Target:
    """The addresses and data set the steps aim at."""

    service_url: str
    service_pid: int
    trivial_url: str
    trivial_pid: int
    mongodb_uri: str
    database: str
    users: int


def _with_cpu(pid: int, load: Load, base_url: str, concurrency: int, seconds: int) -> Measurement:
    cpu_before = cpu_seconds(pid)
    measured = run_wrk(load, base_url=base_url, connections=concurrency, seconds=seconds)
    cpu_ms = (cpu_seconds(pid) - cpu_before) * 1000
    return replace(measured, cpu_ms_per_request=cpu_ms / max(measured.requests, 1))


def _wrk_step(load: Load, base_url: str, pid: int) -> Step:
    def run(concurrency: int, seconds: int) -> Measurement:
        return _with_cpu(pid, load, base_url, concurrency, seconds)

    return Step(load.scenario, run)


def _post_step(target: Target, id_bases: Iterator[int]) -> Step:
    def run(concurrency: int, seconds: int) -> Measurement:
        load = Load("POST /users", "/users", "create_user.lua", (str(next(id_bases)),))
        return _with_cpu(target.service_pid, load, target.service_url, concurrency, seconds)

    return Step("POST /users", run)


def _driver_step(target: Target, operation: str, id_bases: Iterator[int]) -> Step:
    def run(concurrency: int, seconds: int) -> Measurement:
        workload = Workload(
            operation=operation,
            concurrency=concurrency,
            seconds=seconds,
            users=target.users,
            id_base=next(id_bases),
        )
        return run_driver(uri=target.mongodb_uri, database=target.database, workload=workload)

    return Step(f"raw {operation}", run)


def groups(target: Target) -> list[list[Step]]:
    """Steps grouped with their limits, in running order."""
    id_bases = itertools.count(ID_BASE_STRIDE, ID_BASE_STRIDE)
    service = target.service_url
    pid = target.service_pid
    users = str(target.users)
    return [
        [
            _wrk_step(Load(TRIVIAL, "/", "static.lua"), target.trivial_url, target.trivial_pid),
            _wrk_step(Load("GET /healthz", "/healthz", "static.lua"), service, pid),
            _wrk_step(Load("GET /readyz", "/readyz", "static.lua"), service, pid),
            _wrk_step(Load("GET /metrics", "/metrics", "static.lua"), service, pid),
        ],
        [
            _driver_step(target, "find_one", id_bases),
            _wrk_step(Load("GET /users/{id}", "/", "get_user.lua", (users,)), service, pid),
        ],
        [
            _driver_step(target, "find_page", id_bases),
            _wrk_step(Load("GET /users?limit=50", "/", "list_users.lua"), service, pid),
        ],
        [_driver_step(target, "insert_one", id_bases), _post_step(target, id_bases)],
    ]
