"""Child processes the harness owns: start, wait until they listen, always stop them."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from pathlib import Path

LOOPBACK = "127.0.0.1"
STOP_SECONDS = 15.0


class StartupError(RuntimeError):
    """A child process died or never became ready within its bound."""


@dataclass(frozen=True, slots=True)
class RunAs:
    """Drop privileges to this user in the child (PostgreSQL refuses to run as root)."""

    user: str
    gid: int


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_listening(
    process: subprocess.Popen[bytes], *, port: int, name: str, timeout_seconds: float
) -> None:
    """Return once `port` accepts connections; StartupError if the child exits or time runs out."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartupError(f"{name} exited with code {process.returncode} while starting")
        with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise StartupError(f"{name} did not listen on {LOOPBACK}:{port} within {timeout_seconds} s")


def stop(process: subprocess.Popen[bytes], *, stop_signal: int = signal.SIGTERM) -> None:
    """Signal the child, then kill it if it has not exited within STOP_SECONDS."""
    if process.poll() is not None:
        return
    process.send_signal(stop_signal)
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_SECONDS)


@contextlib.contextmanager
def child_process(
    argv: Sequence[str],
    *,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    run_as: RunAs | None = None,
    stop_signal: int = signal.SIGTERM,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run argv with stdout and stderr appended to log_path; stopped on exit, error or Ctrl-C."""
    with log_path.open("ab") as log:
        process = _spawn(argv, log=log, env=env, run_as=run_as)
        try:
            yield process
        finally:
            stop(process, stop_signal=stop_signal)


def _spawn(
    argv: Sequence[str], *, log: IO[bytes], env: Mapping[str, str] | None, run_as: RunAs | None
) -> subprocess.Popen[bytes]:
    merged = {**os.environ, **(env or {})}
    if run_as is None:
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=merged)  # noqa: S603
    return subprocess.Popen(  # noqa: S603 - fixed argv built by the harness
        argv,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=merged,
        user=run_as.user,
        group=run_as.gid,
        extra_groups=[],
    )


def rss_kib(pid: int) -> int:
    """VmRSS of a live process, in KiB, from /proc."""
    return _status_kib(pid, "VmRSS")


def peak_rss_kib(pid: int) -> int:
    """VmHWM (the peak resident set) of a live process, in KiB."""
    return _status_kib(pid, "VmHWM")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a live process has used, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:  # noqa: PTH123
        # The command name (field 2) may hold spaces; count fields after its ")".
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _status_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:  # noqa: PTH123
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    raise LookupError(f"{field} missing from /proc/{pid}/status")
