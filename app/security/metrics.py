"""Authentication metrics, registered on the app's own registry."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from prometheus_client import Counter, Histogram

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

# A JWKS fetch crosses the network: milliseconds up to the timeout.
FETCH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Callers outside the configured names share one label value, so tokens with
# arbitrary subjects cannot grow the label space.
OTHER_CALLER = "other"
ANONYMOUS = "anonymous"


class AuthMetrics:
    """Decisions by outcome and caller; JWKS fetches by outcome."""

    def __init__(self, registry: CollectorRegistry, *, known_callers: frozenset[str]) -> None:
        self._known = known_callers
        requests = Counter(
            "auth_requests_total",
            "Authentication decisions on protected routes, by outcome and caller.",
            ["outcome", "caller"],
            registry=registry,
        )
        fetches = Histogram(
            "auth_jwks_fetch_duration_seconds",
            "Time of one JWKS (and discovery) fetch, by outcome; _count counts fetches.",
            ["outcome"],
            buckets=FETCH_BUCKETS,
            registry=registry,
        )
        self._requests = functools.cache(requests.labels)
        self._fetches = functools.cache(fetches.labels)

    def caller_label(self, name: str | None) -> str:
        """The caller's name if configured, else a shared value."""
        if name is None:
            return ANONYMOUS
        return name if name in self._known else OTHER_CALLER

    def record_decision(self, outcome: str, caller: str | None) -> None:
        """Count one decision (caller None: no identity was established)."""
        self._requests(outcome, self.caller_label(caller)).inc()

    def record_fetch(self, outcome: str, seconds: float) -> None:
        """Time one JWKS fetch."""
        self._fetches(outcome).observe(seconds)
