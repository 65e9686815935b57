"""One measured load run: throughput, latency percentiles, errors."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Measurement:
    """A scenario at one concurrency; latencies in milliseconds."""

    scenario: str
    concurrency: int
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    errors: int
    rss_after_kib: int | None = None
    # CPU time of the process that answered (service, trivial app or driver loop),
    # per request: comparable across runs even when the machine is oversubscribed.
    cpu_ms_per_request: float | None = None

    @property
    def rate(self) -> float:
        """Requests (or driver operations) per second."""
        return self.requests / self.seconds if self.seconds > 0 else 0.0
