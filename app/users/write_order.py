"""One write at a time per user id within this process.

Every write is a single conditional database call, and MongoDB applies its
filter and update atomically per document. FerretDB v1.24.2 does not: its
findAndModify and update read the matching documents, apply the update in
Go, then write them back by `_id` alone (internal/handler/msg_findandmodify.go,
backends/sqlite UpdateAll), so two concurrent writes can both pass a version
filter and the second overwrites the first. Ordering this process's writes to
one user closes that gap for a single replica on such a server; on MongoDB it
changes nothing but the order of writes that would serialize anyway.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


class WriteOrder:
    """A lock per user id, kept only while a write holds or awaits it (memory stays bounded)."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, user_id: int) -> AsyncIterator[None]:
        """Wait for earlier writes to this user in this process, then write."""
        lock, holders = self._locks.get(user_id, (asyncio.Lock(), 0))
        self._locks[user_id] = (lock, holders + 1)
        try:
            async with lock:
                yield
        finally:
            lock, holders = self._locks[user_id]
            if holders == 1:
                del self._locks[user_id]
            else:
                self._locks[user_id] = (lock, holders - 1)
