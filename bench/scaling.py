"""`make bench-scaling`: how lookups and pages grow with the collection, per embedded engine.

For each engine the service runs as in production, except that its driver
timeout is raised (SCALING_TIMEOUT_SECONDS) so a slow query is measured instead
of cut off at the default 2 s; the table says which figures the default would
turn into 503s. The collection is grown to each size in turn (users 1..N, the
service's document shape, inserted through the driver in batches), and at each
size sequential single requests measure `GET /users/{id}` for random ids and
`GET /users?limit=50&after=<random id>`: latency, not throughput.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pymongo import MongoClient

from bench.engines import ENGINES, Engine
from bench.machine import describe_machine
from bench.seed import USERS_COLLECTION, drop_database
from bench.service import users_api
from bench.stats import percentile

if TYPE_CHECKING:
    from collections.abc import Sequence

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "scaling.md"
README_START = "<!-- scaling:start -->"
README_END = "<!-- scaling:end -->"
DATABASE = "bench_scaling"
SIZES = (1_000, 10_000, 100_000)
PAGE_LIMIT = 50
# The goal from issue 13, at the largest size.
GOAL_LOOKUP_MS = 5.0
GOAL_PAGE_MS = 50.0
DEFAULT_TIMEOUT_SECONDS = 2.0
SCALING_TIMEOUT_SECONDS = 60
INSERT_BATCH = 1_000
# Each figure is the median of up to MAX_SAMPLES requests, fewer (never under
# MIN_SAMPLES) once SAMPLE_BUDGET_SECONDS have gone: a full scan of 100,000
# documents takes seconds, and the run must stay bounded.
MAX_SAMPLES = 51
MIN_SAMPLES = 5
SAMPLE_BUDGET_SECONDS = 20.0


@dataclass(frozen=True, slots=True)
class Figure:
    """One operation at one size: the median and worst of its samples, and their count."""

    p50_ms: float
    max_ms: float
    samples: int
    statuses: frozenset[int]


@dataclass(frozen=True, slots=True)
class Row:
    """One engine at one collection size."""

    engine: str
    users: int
    lookup: Figure
    page: Figure


def _progress(message: str) -> None:
    print(f"bench-scaling: {message}", file=sys.stderr, flush=True)  # noqa: T201


def grow_collection(uri: str, *, start: int, stop: int) -> None:
    """Insert users start..stop-1 the way the service stores them (`_id` is the user id)."""
    client: MongoClient[dict[str, Any]] = MongoClient(uri, timeoutMS=120_000)
    with client:
        collection = client[DATABASE][USERS_COLLECTION]
        now = datetime.now(UTC).replace(microsecond=0)
        for first in range(start, stop, INSERT_BATCH):
            ids = range(first, min(first + INSERT_BATCH, stop))
            documents = [
                {"_id": i, "name": f"user {i}", "created_at": now, "updated_at": now} for i in ids
            ]
            collection.insert_many(documents, ordered=False)


def _get(url: str) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=SCALING_TIMEOUT_SECONDS + 5) as response:  # noqa: S310 - loopback
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, (time.perf_counter() - started) * 1000


def sample(urls: Sequence[str]) -> Figure:
    """Request each URL in turn (within the budget) and summarise the latencies."""
    started = time.monotonic()
    times: list[float] = []
    statuses: set[int] = set()
    for url in urls[:MAX_SAMPLES]:
        if len(times) >= MIN_SAMPLES and time.monotonic() - started > SAMPLE_BUDGET_SECONDS:
            break
        status, elapsed_ms = _get(url)
        statuses.add(status)
        times.append(elapsed_ms)
    ordered = sorted(times)
    return Figure(
        p50_ms=percentile(ordered, 50),
        max_ms=ordered[-1],
        samples=len(ordered),
        statuses=frozenset(statuses),
    )


def measure_size(base_url: str, *, engine: str, users: int, rng: random.Random) -> Row:
    """Lookups of random existing ids and pages after random ids, at the current size."""
    ids = [rng.randint(1, users) for _ in range(MAX_SAMPLES)]
    _get(f"{base_url}/users/{ids[0]}")  # one warm-up: connection pool, statement caches
    lookup = sample([f"{base_url}/users/{i}" for i in ids])
    page = sample([f"{base_url}/users?limit={PAGE_LIMIT}&after={i}" for i in ids])
    return Row(engine=engine, users=users, lookup=lookup, page=page)


def measure_engine(engine: Engine, workdir: Path, sizes: Sequence[int]) -> list[Row]:
    """Start the engine and the service, then grow and measure size by size."""
    rows = []
    rng = random.Random(13)  # noqa: S311 - reproducible ids, not secrets
    with engine.start(workdir) as uri:
        drop_database(uri, DATABASE)
        settings = {"MONGODB_TIMEOUT_SECONDS": str(SCALING_TIMEOUT_SECONDS)}
        with users_api(
            workdir, mongodb_uri=uri, database=DATABASE, env_overrides=settings
        ) as service:
            seeded = 0
            for size in sizes:
                _progress(f"{engine.name}: growing to {size:,} users")
                grow_collection(uri, start=seeded + 1, stop=size + 1)
                seeded = size
                row = measure_size(service.base_url, engine=engine.name, users=size, rng=rng)
                _progress(
                    f"{engine.name} {size:,}: lookup p50 {row.lookup.p50_ms:.1f} ms, "
                    f"page p50 {row.page.p50_ms:.1f} ms"
                )
                rows.append(row)
    return rows


def _cell(figure: Figure) -> str:
    text = f"{figure.p50_ms:,.1f}"
    if figure.p50_ms > DEFAULT_TIMEOUT_SECONDS * 1000:
        text += " (503 at the default 2 s timeout)"
    return text


def render(
    rows: Sequence[Row], *, machine: dict[str, str], engines: Sequence[Engine], load: list[str]
) -> str:
    """The Markdown table and how it was measured."""
    lines = [
        "| engine | users | `GET /users/{id}` p50 ms | page of 50 p50 ms | samples |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {row.engine} | {row.users:,} | {_cell(row.lookup)} | {_cell(row.page)} "
        f"| {row.lookup.samples}+{row.page.samples} |"
        for row in rows
    ]
    largest = max(row.users for row in rows)
    lines += [
        "",
        (
            f"Goal at {largest:,} users: lookup p50 <= {GOAL_LOOKUP_MS:g} ms, page <= "
            f"{GOAL_PAGE_MS:g} ms."
        ),
    ]
    for row in rows:
        if row.users == largest:
            met = [
                f"lookup {'met' if row.lookup.p50_ms <= GOAL_LOOKUP_MS else 'missed'}",
                f"page {'met' if row.page.p50_ms <= GOAL_PAGE_MS else 'missed'}",
            ]
            lines.append(f"- {row.engine}: {', '.join(met)}.")
    lines += [
        "",
        (
            f"- Measured {machine['date']} at revision `{machine['revision']}` by "
            "`make bench-scaling` (bench/scaling.py)."
        ),
        (
            f"- Machine: {machine['cpus']} CPUs ({machine['cpu_model']}), {machine['memory']}, "
            f"Python {machine['python']}, pymongo {machine['pymongo']}; the CPUs were shared with "
            f"other work (1-minute load average {load[0]} at the start, {load[-1]} at the end), "
            "so read the medians, not single requests."
        ),
        "- Engines: "
        + "; ".join(f"{engine.name}: {engine.description}" for engine in engines)
        + ".",
        (
            "- Method: one request at a time over loopback through the service "
            f"(`python -m app`, driver timeout raised to {SCALING_TIMEOUT_SECONDS} s so slow "
            "queries are measured, not cut off); ids drawn at random from 1..N; pages are "
            "`?limit=50&after=<random id>`; each figure is the median of up to "
            f"{MAX_SAMPLES} requests (at least {MIN_SAMPLES}, within "
            f"{SAMPLE_BUDGET_SECONDS:g} s)."
        ),
    ]
    return "\n".join(lines)


def _load_average() -> str:
    """The 1-minute load average: how busy the shared CPUs were."""
    return Path("/proc/loadavg").read_text(encoding="ascii").split()[0]


def update_readme(readme: Path, excerpt: str) -> None:
    """Replace what lies between the scaling markers (they must exist)."""
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(f"{head}{README_START}\n{excerpt}\n{README_END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Measure every engine (or those named) and write the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.scaling", description=__doc__)
    parser.add_argument("--engine", action="append", choices=[e.key for e in ENGINES])
    parser.add_argument("--sizes", default=",".join(str(size) for size in SIZES))
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    engines = [e for e in ENGINES if args.engine is None or e.key in args.engine]
    sizes = sorted(int(size) for size in args.sizes.split(","))
    rows = []
    load = [_load_average()]
    for engine in engines:
        with tempfile.TemporaryDirectory(prefix="users-api-scaling-") as workdir:
            rows += measure_engine(engine, Path(workdir), sizes)
    load.append(_load_average())
    table = render(rows, machine=describe_machine(), engines=engines, load=load)
    print(table)  # noqa: T201
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(f"# Lookups and pages by collection size\n\n{table}\n", "utf-8")
        with contextlib.suppress(ValueError):
            update_readme(REPO / "README.md", table)
        _progress(f"wrote {RESULTS} and the table in README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
