"""Load shedding: a bound on database calls in flight, and a fast 503 beyond it.

Without a bound, requests beyond what the database can serve queue inside the
driver's pool until MONGODB_TIMEOUT_SECONDS, so every caller waits the whole
timeout and then fails. Refusing at once (503 + Retry-After) keeps the latency
of admitted requests bounded and gives clients and load balancers a signal
they can act on. Only database calls are counted: probes, /metrics and
requests still uploading their bodies hold no slot and are never shed.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

from app.errors import Overloaded

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


class DatabaseAdmission:
    """At most `limit` database calls at once; the next one raises Overloaded instead of queueing.

    The event loop runs one coroutine at a time, so a plain counter is exact.
    """

    def __init__(self, *, limit: int, on_shed: Callable[[], None]) -> None:
        self.limit = limit
        self.in_flight = 0
        self._on_shed = on_shed

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Hold a slot for one database call, or raise Overloaded at once when none is free."""
        if self.in_flight >= self.limit:
            self._on_shed()
            raise Overloaded
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1
