"""Writes to one user in this process run one at a time; idle users keep no lock."""

from __future__ import annotations

import asyncio

from app.users.write_order import WriteOrder


async def test_writes_to_one_user_never_overlap_and_other_users_do_not_wait() -> None:
    order = WriteOrder()
    running: dict[int, int] = {1: 0, 2: 0}
    overlaps: list[int] = []
    events: list[str] = []

    async def write(user_id: int, label: str) -> None:
        async with order.hold(user_id):
            running[user_id] += 1
            if running[user_id] > 1:
                overlaps.append(user_id)
            events.append(f"start {label}")
            await asyncio.sleep(0.01)
            running[user_id] -= 1

    await asyncio.gather(write(1, "a"), write(1, "b"), write(2, "c"), write(1, "d"))
    assert overlaps == []
    assert events[:2] == ["start a", "start c"]  # user 2 did not queue behind user 1
    assert order._locks == {}  # noqa: SLF001 - the memory bound is the point
