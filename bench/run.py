"""`make bench`: start the database, the service and the trivial app; load them; report.

Everything started here is stopped on the way out, on errors and Ctrl-C included.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from bench.concurrency_costs import etag_costs, shedding_figures
from bench.database import REPO, backend, postgres_bindir
from bench.machine import describe_machine
from bench.plan import Step, Target, groups
from bench.processes import peak_rss_kib, rss_kib
from bench.report import render_markdown, render_readme, render_text, update_readme, write_json
from bench.results import Results
from bench.seed import drop_database, seed_users, wait_until_quiet
from bench.service import Service, trivial_app, users_api
from bench.wrk import wrk_binary

if TYPE_CHECKING:
    from bench.measurement import Measurement

RESULTS_DIR = REPO / "bench" / "results"


@dataclass(frozen=True, slots=True)
class Options:
    """The command line, validated."""

    seconds: int
    warmup_seconds: int
    concurrencies: tuple[int, ...]
    users: int
    database: str
    write: bool
    readme: Path


def parse_options(argv: list[str] | None) -> Options:
    """Defaults are the published baseline's; --quick is a smoke run that writes nothing."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--duration", type=int, default=10, help="seconds per run (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per scenario")
    parser.add_argument("--concurrency", default="1,16,64", help="comma-separated (1,16,64)")
    parser.add_argument("--users", type=int, default=10_000, help="users seeded (10000)")
    parser.add_argument(
        "--database", default="bench", help="database name; DROPPED and re-created (bench)"
    )
    parser.add_argument("--quick", action="store_true", help="2 s runs, 1 s warm-up, no files")
    parser.add_argument("--no-write", action="store_true", help="print only: no results, README")
    parser.add_argument("--readme", type=Path, default=REPO / "README.md")
    args = parser.parse_args(argv)
    concurrencies = tuple(int(part) for part in args.concurrency.split(","))
    if min(concurrencies) < 1 or args.duration < 1 or args.users < 100:  # noqa: PLR2004
        parser.error("concurrency and --duration must be >= 1, --users >= 100")
    return Options(
        seconds=2 if args.quick else args.duration,
        warmup_seconds=1 if args.quick else args.warmup,
        concurrencies=concurrencies,
        users=args.users,
        database=args.database,
        write=not (args.quick or args.no_write),
        readme=args.readme,
    )


def _progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)  # noqa: T201


def _run_step(step: Step, *, concurrency: int, seconds: int, target: Target) -> Measurement:
    """Run one step once the database has finished whatever the previous step left it."""
    waited = wait_until_quiet(target.mongodb_uri, target.database)
    if waited > 1:
        _progress(f"waited {waited:.1f} s for the database to finish earlier queries")
    return step.run(concurrency, seconds)


def measure_all(options: Options, *, service: Service, target: Target) -> list[Measurement]:
    """Every step of the plan at every concurrency, each warmed up once first."""
    measurements = []
    for group in groups(target):
        if options.warmup_seconds:
            for step in group:
                _progress(f"warm-up {step.scenario}")
                _run_step(
                    step,
                    concurrency=max(options.concurrencies),
                    seconds=options.warmup_seconds,
                    target=target,
                )
        for concurrency in options.concurrencies:
            for step in group:
                measured = _run_step(
                    step, concurrency=concurrency, seconds=options.seconds, target=target
                )
                measured = replace(measured, rss_after_kib=rss_kib(service.pid))
                _progress(
                    f"{step.scenario} c={concurrency}: {measured.rate:,.0f}/s "
                    f"p99 {measured.p99_ms:.1f} ms, {measured.errors} errors"
                )
                measurements.append(measured)
    return measurements


def run(options: Options, workdir: Path) -> Results:
    """Start everything, seed, measure, and stop everything again."""
    with backend(workdir) as database:
        _progress(f"database: {database.description}")
        drop_database(database.uri, options.database)
        with (
            users_api(workdir, mongodb_uri=database.uri, database=options.database) as service,
            trivial_app(workdir) as trivial,
        ):
            rss = {"start": rss_kib(service.pid)}
            _progress(f"seeding {options.users:,} users through POST /users")
            seed_users(service.base_url, options.users)
            rss["idle"] = rss_kib(service.pid)
            target = Target(
                service_url=service.base_url,
                service_pid=service.pid,
                trivial_url=trivial.base_url,
                trivial_pid=trivial.pid,
                mongodb_uri=database.uri,
                database=options.database,
                users=options.users,
            )
            measurements = measure_all(options, service=service, target=target)
            rss["end"] = rss_kib(service.pid)
            rss["peak"] = peak_rss_kib(service.pid)
            log_bytes = service.log_path.read_bytes()
        _progress("shedding: overloading a service with a small MAX_IN_FLIGHT")
        extra_lines = [
            *etag_costs(),
            *shedding_figures(
                workdir,
                mongodb_uri=database.uri,
                database=options.database,
                seconds=options.seconds,
                users=options.users,
            ),
        ]
    return Results(
        machine=describe_machine(),
        backend=database.description,
        settings={
            "seconds": options.seconds,
            "warmup_seconds": options.warmup_seconds,
            "users": options.users,
        },
        measurements=measurements,
        rss_kib=rss,
        access_log={"lines": log_bytes.count(b"\n"), "bytes": len(log_bytes)},
        extra_lines=extra_lines,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table and, unless told not to, write the results."""
    options = parse_options(argv)
    wrk_binary()  # fail before starting anything when a machine-level tool is missing
    if "MONGODB_URI" not in os.environ:
        postgres_bindir()
    with tempfile.TemporaryDirectory(prefix="users-api-bench-") as workdir:
        results = run(options, Path(workdir))
    print(render_text(results))  # noqa: T201
    print("\n".join(results.extra_lines))  # noqa: T201
    if options.write:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        write_json(results, RESULTS_DIR / "latest.json")
        (RESULTS_DIR / "latest.md").write_text(render_markdown(results), encoding="utf-8")
        update_readme(options.readme, render_readme(results))
        _progress(f"wrote {RESULTS_DIR}/latest.{{json,md}} and the table in {options.readme}")
    return 0
