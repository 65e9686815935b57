"""A process-wide budget for the request bodies being received: stalled uploads cannot exhaust RAM.

Each request with a body reserves what receiving it costs (see
reservation_bytes) before a byte of it is read, and gives it back when
answered. A request that does not fit is refused at once with 503 +
Retry-After, so the memory held by uploads in progress never exceeds the
budget, however many clients start one and stall.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from app.errors import UploadBudgetExhausted

if TYPE_CHECKING:
    from aiohttp.typedefs import Handler, Middleware

# Measured with bench/hostile.py: a stalled upload of B bytes holds about
# 2.2 x B (aiohttp's stream chunks, the growing bytearray of request.read()
# and allocator slack) plus about 16 KiB of request, task and protocol state.
BODY_COST_FACTOR = 2
PER_UPLOAD_BYTES = 16 * 1024


def reservation_bytes(body_bytes: int) -> int:
    """Memory one upload of body_bytes may hold while it is received."""
    return BODY_COST_FACTOR * body_bytes + PER_UPLOAD_BYTES


class UploadBudget:
    """Bytes reserved by the bodies being received right now, against a fixed capacity."""

    def __init__(self, *, capacity_bytes: int) -> None:
        self.capacity_bytes = capacity_bytes
        self.reserved_bytes = 0
        self.uploads = 0

    def try_reserve(self, size: int) -> bool:
        """Reserve size bytes if they fit; the event loop is single-threaded, so no lock."""
        if self.reserved_bytes + size > self.capacity_bytes:
            return False
        self.reserved_bytes += size
        self.uploads += 1
        return True

    def release(self, size: int) -> None:
        """Give back what try_reserve took."""
        self.reserved_bytes -= size
        self.uploads -= 1


def make_upload_budget_middleware(*, budget: UploadBudget, max_body_bytes: int) -> Middleware:
    """Reserve each body's bytes before the handler may read them; 503 when they do not fit."""

    @web.middleware
    async def limit_uploads(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.body_exists:  # most requests: GET, DELETE, probes
            return await handler(request)
        declared = request.content_length
        if declared is not None and declared > max_body_bytes:
            return await handler(request)  # a 413 without reading
        size = reservation_bytes(max_body_bytes if declared is None else declared)
        if not budget.try_reserve(size):
            raise UploadBudgetExhausted
        try:
            return await handler(request)
        finally:
            budget.release(size)

    return limit_uploads
