"""Render Results: a terminal table, bench/results/latest.{json,md} and the README excerpt."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING

from bench.results import LIMIT_OF, TARGET_CONCURRENCY

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from bench.measurement import Measurement
    from bench.results import Results

README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"
HEADERS = (
    "scenario",
    "conc.",
    "req/s",
    "p50 ms",
    "p90 ms",
    "p99 ms",
    "errors",
    "CPU ms/req",
    "RSS MiB",
    "vs limit",
)


def _row(results: Results, item: Measurement) -> tuple[str, ...]:
    ratio = results.ratio(item.scenario, item.concurrency)
    return (
        item.scenario,
        str(item.concurrency),
        f"{item.rate:,.0f}",
        f"{item.p50_ms:.2f}",
        f"{item.p90_ms:.2f}",
        f"{item.p99_ms:.2f}",
        str(item.errors),
        "" if item.cpu_ms_per_request is None else f"{item.cpu_ms_per_request:.3f}",
        "" if item.rss_after_kib is None else f"{item.rss_after_kib / 1024:.1f}",
        "" if ratio is None else f"{ratio:.0%} of {LIMIT_OF[item.scenario]}",
    )


def _markdown_table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _mib(kib: int | None) -> str:
    return "n/a" if kib is None else f"{kib / 1024:.1f} MiB"


def render_text(results: Results) -> str:
    """The full table, aligned for a terminal."""
    rows = [HEADERS, *(_row(results, item) for item in results.measurements)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(HEADERS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.append("")
    lines.append(f"backend: {results.backend}")
    lines.append(_rss_line(results))
    lines.extend(
        f"target {'MET' if target.met else 'NOT MET'}: {target.name} {target.wanted}, "
        f"measured {target.measured}"
        for target in results.targets()
    )
    return "\n".join(lines)


def _rss_line(results: Results) -> str:
    rss = results.rss_kib
    return (
        f"service RSS: {_mib(rss.get('start'))} at start, {_mib(rss.get('idle'))} idle after "
        f"seeding, {_mib(rss.get('end'))} after the runs (peak {_mib(rss.get('peak'))})"
    )


def _machine_line(results: Results) -> str:
    machine = results.machine
    return (
        f"{machine['cpus']} CPUs ({machine['cpu_model']}), {machine['memory']}, Linux "
        f"{machine['kernel']}; Python {machine['python']}, aiohttp {machine['aiohttp']}, "
        f"pymongo {machine['pymongo']}, uvloop {machine['uvloop']}, {machine['wrk']}"
    )


def _method_lines(results: Results) -> list[str]:
    settings = results.settings
    log = results.access_log
    return [
        f"- Measured {results.machine['date']} at revision `{results.machine['revision']}`.",
        f"- Machine: {_machine_line(results)}.",
        f"- Database: {results.backend}.",
        (
            f"- Load: wrk on loopback, {settings['seconds']} s per run after a "
            f"{settings['warmup_seconds']} s warm-up per scenario, {settings['users']:,} users "
            "seeded through the API; wrk, the service and the database share the machine's CPUs."
        ),
        (
            "- Limits: `raw ...` is a PyMongo AsyncMongoClient loop on uvloop doing the same "
            "database call at the same concurrency; `trivial aiohttp` is a bare aiohttp app "
            "(uvloop, no access log) returning constant JSON."
        ),
        (
            "- Errors: socket errors plus responses with status >= 400. CPU ms/req: user+system "
            "CPU of the answering process (service, trivial app, or driver loop) per request; "
            "RSS MiB: the service's VmRSS after the run."
        ),
        (
            f"- The service wrote its JSON access log to a file: {log.get('lines', 0):,} lines, "
            f"{log.get('bytes', 0) / 1024**2:.0f} MiB."
        ),
        f"- {_rss_line(results)}.",
    ]


def render_markdown(results: Results) -> str:
    """bench/results/latest.md: method, machine, every figure, targets."""
    rows = [_row(results, item) for item in results.measurements]
    targets = [
        (target.name, target.wanted, target.measured, "met" if target.met else "NOT met")
        for target in results.targets()
    ]
    lines = ["# Benchmark results", "", "Written by `make bench` (bench/run.py).", ""]
    lines += _method_lines(results)
    lines += ["", "## Figures", "", *_markdown_table(HEADERS, rows)]
    lines += ["", "## Targets", ""]
    lines += _markdown_table(("target", "wanted", "measured", ""), targets)
    if results.extra_lines:
        lines += ["", "## Conditional requests and load shedding", ""]
        lines += [f"- {line.strip()}" for line in results.extra_lines]
    return "\n".join(lines) + "\n"


def render_readme(results: Results) -> str:
    """The short README table: concurrency 16 and 64, with ratios at 64."""
    rows = []
    for scenario, limit in LIMIT_OF.items():
        at16 = results.find(scenario, 16)
        at64 = results.find(scenario, TARGET_CONCURRENCY)
        if at64 is None:
            continue
        ratio = results.ratio(scenario, TARGET_CONCURRENCY)
        rows.append(
            (
                f"`{scenario}`",
                "n/a" if at16 is None else f"{at16.rate:,.0f}",
                f"{at64.rate:,.0f}",
                f"{at64.p99_ms:.1f}",
                str(at64.errors),
                "n/a" if ratio is None else f"{ratio:.0%} of {limit}",
            )
        )
    headers = (
        "scenario",
        "req/s c=16",
        "req/s c=64",
        "p99 ms c=64",
        "errors c=64",
        "vs limit c=64",
    )
    targets = [
        f"{'met' if target.met else '**not met**'}: {target.name} {target.wanted} "
        f"(measured {target.measured})"
        for target in results.targets()
    ]
    lines = [*_markdown_table(headers, rows), "", *_method_lines(results), ""]
    lines += ["Targets:", "", *(f"- {line}" for line in targets), ""]
    lines.append(
        "Every scenario at concurrency 1, 16 and 64: "
        "[bench/results/latest.md](bench/results/latest.md)."
    )
    return "\n".join(lines)


def write_json(results: Results, path: Path) -> None:
    """bench/results/latest.json: the same run for machines (rates and ratios included)."""
    document = dataclasses.asdict(results)
    for item, raw in zip(results.measurements, document["measurements"], strict=True):
        raw["rate"] = round(item.rate, 1)
        ratio = results.ratio(item.scenario, item.concurrency)
        raw["limit"] = LIMIT_OF.get(item.scenario)
        raw["ratio_to_limit"] = None if ratio is None else round(ratio, 3)
    document["targets"] = [dataclasses.asdict(target) for target in results.targets()]
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def update_readme(readme: Path, excerpt: str) -> None:
    """Replace what lies between the bench markers, adding the section when they are missing."""
    text = readme.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        text = text.rstrip("\n") + f"\n\n## Benchmarks\n\n{README_START}\n{README_END}\n"
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    readme.write_text(f"{head}{README_START}\n{excerpt}\n{README_END}{tail}", encoding="utf-8")
