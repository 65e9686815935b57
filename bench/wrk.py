"""Drive HTTP load with wrk (a compiled load generator, not the service's own event loop)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from bench.measurement import Measurement

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
RESULT_PREFIX = "BENCH_RESULT "
# wrk's own socket timeout; the service's database timeout is 2 s.
REQUEST_TIMEOUT = "5s"


class WrkError(RuntimeError):
    """wrk failed or printed no result line."""


@dataclass(frozen=True, slots=True)
class Load:
    """What to send: a Lua script from bench/scenarios and its arguments."""

    scenario: str
    path: str
    script: str
    script_args: tuple[str, ...] = ()


def wrk_binary() -> str:
    """The wrk on PATH; `make bench-machine` installs Debian's."""
    found = shutil.which("wrk")
    if found is None:
        raise WrkError("wrk not found: run `make bench-machine`")
    return found


def threads_for(connections: int) -> int:
    """Threads for wrk: one connection each at least, two at most (a two-core machine)."""
    return max(1, min(2, connections, (os.cpu_count() or 2)))


def run_wrk(load: Load, *, base_url: str, connections: int, seconds: int) -> Measurement:
    """Run one bounded wrk load and return what its done() callback reported."""
    argv = [
        wrk_binary(),
        f"--threads={threads_for(connections)}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        f"--timeout={REQUEST_TIMEOUT}",
        f"--script={SCENARIOS / load.script}",
        f"{base_url}{load.path}",
    ]
    if load.script_args:
        argv += ["--", *load.script_args]
    env = {**os.environ, "LUA_PATH": f"{SCENARIOS}/?.lua;;"}
    completed = subprocess.run(  # noqa: S603 - argv built here, wrk from PATH
        argv, capture_output=True, text=True, env=env, timeout=seconds + 60, check=False
    )
    if completed.returncode != 0:
        raise WrkError(f"wrk exited {completed.returncode}: {completed.stderr.strip()}")
    return replace(_parse(completed.stdout), scenario=load.scenario, concurrency=connections)


def _parse(stdout: str) -> Measurement:
    line = next((line for line in stdout.splitlines() if line.startswith(RESULT_PREFIX)), None)
    if line is None:
        raise WrkError(f"wrk printed no {RESULT_PREFIX.strip()} line:\n{stdout}")
    result = json.loads(line.removeprefix(RESULT_PREFIX))
    socket_errors = sum(result[key] for key in ("connect", "read", "write", "timeout"))
    return Measurement(
        scenario="",
        concurrency=0,
        requests=int(result["requests"]),
        seconds=result["duration_us"] / 1e6,
        p50_ms=result["p50_us"] / 1000,
        p90_ms=result["p90_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        errors=int(socket_errors + result["status"]),
    )
