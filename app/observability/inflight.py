"""Requests being handled right now: exported as a gauge, awaited by graceful shutdown."""

from __future__ import annotations

import asyncio


class InFlight:
    """A count of running requests and an event that is set whenever it is zero.

    Shutdown waits on it with the listener closed but connections open: aiohttp's
    own drain closes connections first, which would cut off request bodies that
    are still arriving.
    """

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def enter(self) -> None:
        """A request started."""
        self.count += 1
        self._idle.clear()

    def leave(self) -> None:
        """A request finished, however it ended."""
        self.count -= 1
        if self.count == 0:
            self._idle.set()

    async def wait_idle(self) -> None:
        """Return once no request is running (bound it with asyncio.timeout)."""
        await self._idle.wait()
