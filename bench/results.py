"""A whole benchmark run, each API scenario's ratio to its limit, and the issue's targets."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.measurement import Measurement  # noqa: TC001 - a dataclass field type

TRIVIAL = "trivial aiohttp"
# Each API scenario against the cheapest thing that does the same work.
LIMIT_OF = {
    "GET /users/{id}": "raw find_one",
    "GET /users?limit=50": "raw find_page",
    "POST /users": "raw insert_one",
    "GET /healthz": TRIVIAL,
    "GET /readyz": TRIVIAL,
    "GET /metrics": TRIVIAL,
}
TARGET_CONCURRENCY = 64
RSS_TARGET_MIB = 80


@dataclass(frozen=True, slots=True)
class Target:
    """One acceptance target of the issue and whether this run met it."""

    name: str
    wanted: str
    measured: str
    met: bool


@dataclass(frozen=True, slots=True)
class Results:
    """Everything one `make bench` measured; RSS figures are the service's, in KiB."""

    machine: dict[str, str]
    backend: str
    settings: dict[str, int]
    measurements: list[Measurement]
    rss_kib: dict[str, int] = field(default_factory=dict)
    access_log: dict[str, int] = field(default_factory=dict)
    # Figures of features measured beside the table (ETags, shedding), one line each.
    extra_lines: list[str] = field(default_factory=list)

    def find(self, scenario: str, concurrency: int) -> Measurement | None:
        """The measurement of a scenario at a concurrency, if it ran."""
        return next(
            (
                item
                for item in self.measurements
                if item.scenario == scenario and item.concurrency == concurrency
            ),
            None,
        )

    def ratio(self, scenario: str, concurrency: int) -> float | None:
        """The scenario's rate over its limit's rate at the same concurrency."""
        limit = LIMIT_OF.get(scenario)
        measured = self.find(scenario, concurrency)
        reference = self.find(limit, concurrency) if limit else None
        if measured is None or reference is None or reference.rate == 0:
            return None
        return measured.rate / reference.rate

    def targets(self) -> list[Target]:
        """The issue's three targets, judged on this run."""
        found = [
            self._ratio_target("GET /users/{id}", minimum=0.70),
            self._ratio_target("GET /healthz", minimum=0.60),
        ]
        end = self.rss_kib.get("end")
        if end is not None:
            found.append(
                Target(
                    name="service RSS after the runs",
                    wanted=f"< {RSS_TARGET_MIB} MiB",
                    measured=f"{end / 1024:.1f} MiB",
                    met=end < RSS_TARGET_MIB * 1024,
                )
            )
        return found

    def _ratio_target(self, scenario: str, *, minimum: float) -> Target:
        ratio = self.ratio(scenario, TARGET_CONCURRENCY)
        return Target(
            name=f"{scenario} at c={TARGET_CONCURRENCY} / {LIMIT_OF[scenario]}",
            wanted=f">= {minimum:.0%}",
            measured="not measured" if ratio is None else f"{ratio:.0%}",
            met=ratio is not None and ratio >= minimum,
        )
