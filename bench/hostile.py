"""`python -m bench.hostile`: what hostile clients cost the service (issue 15). Figures only.

Against `python -m app` on loopback, with the chart's memory limit (256 MiB)
given as MEMORY_LIMIT_BYTES, for MAX_BODY_BYTES at its default (64 KiB) and
at 1 MiB:

1. the worst single body: service CPU and peak RSS growth per request, per shape;
2. N stalled maximum-size uploads, N well above what the upload budget admits:
   the service's peak RSS against the memory limit, and how many got 503;
3. /healthz latency while looping hostile clients run (target: p99 < 100 ms).

`--app-dir DIR` measures another checkout's `app/` (e.g. main before a change).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING

from bench.database import FERRETDB, REPO
from bench.hostile_clients import (
    HEAD,
    StalledUploads,
    exchange,
    loop_requests,
    probe_healthz,
    query_flood,
    worst_bodies,
)
from bench.processes import (
    LOOPBACK,
    child_process,
    cpu_seconds,
    free_port,
    peak_rss_kib,
    wait_until_listening,
)
from bench.stats import percentile

if TYPE_CHECKING:
    from collections.abc import Iterator

CHART_MEMORY_LIMIT = 256 * 2**20  # chart/values.yaml resources.limits.memory
REPEATS = 20
STALL_SECONDS = 3.0
LOAD_SECONDS = 10.0
MALFORMED = b"GET / HTTP/1.1\r\nHost: bench\r\nX-A: \x01\r\n\r\n"


@dataclass(frozen=True, slots=True)
class Service:
    """The service process under test."""

    pid: int
    port: int


def reset_peak_rss(pid: int) -> None:
    """Start a fresh VmHWM window (Linux: writing 5 to clear_refs resets the peak)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


@contextlib.contextmanager
def mongodb_uri(workdir: Path) -> Iterator[str]:
    """MONGODB_URI if set, else a FerretDB (SQLite) of our own from .tools (or PATH)."""
    if uri := os.environ.get("MONGODB_URI"):
        yield uri
        return
    port = free_port()
    binary = FERRETDB if FERRETDB.is_file() else shutil.which("ferretdb")
    if binary is None:
        raise SystemExit("bench.hostile: no FerretDB; run `make bench-hostile` or set MONGODB_URI")
    argv = [
        str(binary),
        "--handler=sqlite",
        f"--sqlite-url=file:{workdir}/",
        f"--state-dir={workdir}",
        f"--listen-addr={LOOPBACK}:{port}",
        "--debug-addr=-",
        "--telemetry=disable",
        "--log-level=warn",
    ]
    with child_process(argv, log_path=workdir / "ferretdb.log") as process:
        wait_until_listening(process, port=port, name="FerretDB", timeout_seconds=30)
        yield f"mongodb://{LOOPBACK}:{port}/"


@contextlib.contextmanager
def service(workdir: Path, *, app_dir: Path, uri: str, max_body: int) -> Iterator[Service]:
    """`python -m app` from app_dir with the chart's memory limit and the given body limit."""
    port = free_port()
    env = {
        "HOST": LOOPBACK,
        "PORT": str(port),
        "MONGODB_URI": uri,
        "MONGODB_DATABASE": "bench_hostile",
        "MAX_BODY_BYTES": str(max_body),
        "MEMORY_LIMIT_BYTES": str(CHART_MEMORY_LIMIT),
        "PYTHONPATH": str(app_dir),
    }
    argv = [sys.executable, "-P", "-m", "app"]  # -P: app/ from PYTHONPATH, never the cwd
    with child_process(argv, log_path=workdir / f"service-{max_body}.log", env=env) as process:
        wait_until_listening(process, port=port, name="the service", timeout_seconds=30)
        yield Service(pid=process.pid, port=port)


async def worst_single_body(target: Service, max_body: int) -> list[str]:
    """Rows: per body shape, service CPU ms per request, peak RSS growth, slowest answer."""
    rows = []
    shapes = {name: HEAD % len(body) + body for name, body in worst_bodies(max_body).items()}
    shapes["2,700 query parameters"] = query_flood()
    for name, request in shapes.items():
        baseline_kib = peak_rss_kib(target.pid)
        reset_peak_rss(target.pid)
        cpu_before = cpu_seconds(target.pid)
        latencies = await exchange(target.port, request, count=REPEATS)
        cpu_ms = (cpu_seconds(target.pid) - cpu_before) * 1000 / REPEATS
        growth = (peak_rss_kib(target.pid) - baseline_kib) / 1024
        rows.append(
            f"| {name} | {len(request):,} | {cpu_ms:.1f} | {max(growth, 0):.1f} "
            f"| {max(latencies) * 1000:.1f} |"
        )
    return rows


async def stalled_uploads(target: Service, *, count: int, max_body: int) -> str:
    """One row: peak RSS while count maximum-size uploads stall, and how many got 503."""
    reset_peak_rss(target.pid)
    uploads = StalledUploads(target.port, count=count, body_size=max_body)
    try:
        await uploads.open()
        await asyncio.sleep(STALL_SECONDS)
        peak_mib = peak_rss_kib(target.pid) / 1024
    finally:
        uploads.close()
    limit_mib = CHART_MEMORY_LIMIT / 2**20
    return (
        f"| {count} x {max_body // 1024} KiB | {uploads.refused} | {peak_mib:.0f} "
        f"| {limit_mib:.0f} | {peak_mib / limit_mib:.0%} |"
    )


async def healthz_under_load(target: Service, max_body: int) -> str:
    """One row: /healthz p50, p99 and max while hostile clients loop for LOAD_SECONDS."""
    until = monotonic() + LOAD_SECONDS
    body = worst_bodies(max_body)["unknown keys"]
    attackers = [
        *(loop_requests(target.port, HEAD % len(body) + body, until=until) for _ in range(4)),
        *(loop_requests(target.port, query_flood(), until=until) for _ in range(2)),
        loop_requests(target.port, MALFORMED, until=until),
    ]
    probe = asyncio.create_task(probe_healthz(target.port, until=until))
    answered = sum(await asyncio.gather(*attackers))
    latencies = sorted(await probe)
    return (
        f"| {answered} answered | {len(latencies)} | {percentile(latencies, 50) * 1000:.1f} "
        f"| {percentile(latencies, 99) * 1000:.1f} | {latencies[-1] * 1000:.1f} |"
    )


async def healthz_at_rest(target: Service) -> str:
    """One row: /healthz p50, p99 and max with no hostile client, the machine's own noise."""
    latencies = sorted(await probe_healthz(target.port, until=monotonic() + LOAD_SECONDS / 2))
    return (
        f"| none (at rest) | {len(latencies)} | {percentile(latencies, 50) * 1000:.1f} "
        f"| {percentile(latencies, 99) * 1000:.1f} | {latencies[-1] * 1000:.1f} |"
    )


async def measure(target: Service, *, max_body: int, stalled: int) -> list[str]:
    """The three tables for one MAX_BODY_BYTES."""
    lines = [f"### MAX_BODY_BYTES={max_body}", ""]
    lines += [
        (
            "| worst single body | bytes | service CPU ms/request | peak RSS growth MiB "
            "| slowest answer ms |"
        ),
        "|---|---:|---:|---:|---:|",
        *await worst_single_body(target, max_body),
        "",
        "| stalled uploads | refused 503 | peak RSS MiB | chart limit MiB | of limit |",
        "|---|---:|---:|---:|---:|",
        await stalled_uploads(target, count=stalled, max_body=max_body),
        "",
        "| hostile requests | /healthz probes | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|",
        await healthz_at_rest(target),
        await healthz_under_load(target, max_body),
        "",
    ]
    return lines


def main() -> int:
    """Run both body limits, print markdown tables and write them to --output."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app-dir", type=Path, default=REPO, help="directory holding app/")
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "results" / "hostile.md")
    arguments = parser.parse_args()
    # (MAX_BODY_BYTES, stalled uploads): well above what a 64 MiB budget admits (455 and 31).
    configurations = [(64 * 1024, 3000), (1024 * 1024, 300)]
    report = [
        f"## Hostile clients (app from {arguments.app_dir})",
        "",
        (
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs shared "
            "with the load generator; MEMORY_LIMIT_BYTES is the chart's 256 MiB."
        ),
        "",
    ]
    print("\n".join(report), flush=True)  # noqa: T201
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as scratch:
        workdir = Path(scratch)
        with mongodb_uri(workdir) as uri:
            for max_body, stalled in configurations:
                with service(
                    workdir, app_dir=arguments.app_dir, uri=uri, max_body=max_body
                ) as target:
                    lines = asyncio.run(measure(target, max_body=max_body, stalled=stalled))
                print("\n".join(lines), flush=True)  # noqa: T201
                report += lines
    arguments.output.write_text("\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
