"""Readiness caches its database ping and fails at once on shutdown."""

from __future__ import annotations

import asyncio

from app.errors import DatabaseUnavailable
from app.observability.health import Readiness


class CountingProbe:
    def __init__(self, *, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail

    async def __call__(self) -> None:
        self.calls += 1
        await asyncio.sleep(0.01)
        if self.fail:
            raise DatabaseUnavailable("ServerSelectionTimeoutError")


async def test_result_is_cached_so_probes_do_not_hammer_the_database() -> None:
    readiness = Readiness(cache_seconds=60)
    probe = CountingProbe()
    assert [await readiness.check(probe) for _ in range(5)] == [None] * 5
    assert probe.calls == 1


async def test_concurrent_checks_share_one_ping() -> None:
    readiness = Readiness(cache_seconds=60)
    probe = CountingProbe(fail=True)
    reasons = await asyncio.gather(*(readiness.check(probe) for _ in range(20)))
    assert set(reasons) == {"database unavailable: ServerSelectionTimeoutError"}
    assert probe.calls == 1


async def test_expired_cache_pings_again() -> None:
    readiness = Readiness(cache_seconds=0)
    probe = CountingProbe()
    await readiness.check(probe)
    await readiness.check(probe)
    assert probe.calls == 2


async def test_shutting_down_is_not_ready_without_asking_the_database() -> None:
    readiness = Readiness(cache_seconds=0)
    readiness.shutting_down = True
    probe = CountingProbe()
    assert await readiness.check(probe) == "shutting down"
    assert probe.calls == 0


async def test_a_gate_that_is_not_ready_wins_over_the_database() -> None:
    readiness = Readiness(cache_seconds=0)
    reasons: list[str | None] = ["auth keys unavailable: issuer down"]
    readiness.add_gate(lambda: reasons[0])
    probe = CountingProbe()
    assert await readiness.check(probe) == "auth keys unavailable: issuer down"
    assert probe.calls == 0
    reasons[0] = None
    assert await readiness.check(probe) is None
    assert probe.calls == 1
