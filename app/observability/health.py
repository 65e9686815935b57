"""Liveness and readiness: what Kubernetes asks before routing traffic or restarting."""

from __future__ import annotations

import asyncio
from time import monotonic
from typing import TYPE_CHECKING

from app import keys
from app.db import ping
from app.errors import DatabaseUnavailable
from app.responses import json_response

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from aiohttp import web


class Readiness:
    """Readiness state: shutting down, or the cached result of the last database ping.

    The cache bounds database load from probes and load balancers; the lock
    makes concurrent probes share one ping instead of stampeding the server.
    """

    def __init__(self, *, cache_seconds: float) -> None:
        self.shutting_down = False
        self._cache_seconds = cache_seconds
        self._checked_at = float("-inf")
        self._reason: str | None = "database not checked yet"
        self._lock = asyncio.Lock()
        self._gates: list[Callable[[], str | None]] = []

    def add_gate(self, gate: Callable[[], str | None]) -> None:
        """Another condition for readiness, checked before the database: the reason, or None."""
        self._gates.append(gate)

    @property
    def ready(self) -> bool:
        """Whether the last check passed (what the users_api_ready gauge exports)."""
        return not self.shutting_down and self._reason is None

    async def check(self, probe: Callable[[], Awaitable[None]]) -> str | None:
        """None when ready, else the reason why not."""
        if self.shutting_down:
            return "shutting down"
        for gate in self._gates:
            reason = gate()
            if reason is not None:
                return reason
        if monotonic() - self._checked_at < self._cache_seconds:
            return self._reason
        async with self._lock:
            if monotonic() - self._checked_at >= self._cache_seconds:
                try:
                    await probe()
                    self._reason = None
                except DatabaseUnavailable as error:
                    self._reason = f"database unavailable: {error}"
                self._checked_at = monotonic()
        return self._reason


async def get_healthz(_: web.Request) -> web.Response:
    """Liveness: the event loop answers. No database call, so an outage restarts nothing."""
    return json_response({"status": "ok"})


async def get_readyz(request: web.Request) -> web.Response:
    """Readiness: 200 when the database answers a ping and the service is not shutting down."""
    app = request.app
    timeout = app[keys.SETTINGS].readiness_timeout_seconds
    reason = await app[keys.READINESS].check(
        lambda: ping(app[keys.MONGO_CLIENT], timeout_seconds=timeout)
    )
    if reason is None:
        return json_response({"status": "ready"})
    return json_response({"status": "not_ready", "reason": reason}, status=503)
