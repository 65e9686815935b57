"""The processes under load: the service itself (`python -m app`) and the trivial limit app."""

from __future__ import annotations

import contextlib
import sys
import time
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench.database import REPO
from bench.processes import LOOPBACK, StartupError, child_process, free_port, wait_until_listening

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path

READY_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Service:
    """A running HTTP server the harness started."""

    pid: int
    base_url: str
    log_path: Path


def _wait_ready(url: str, *, timeout_seconds: float) -> None:
    """Poll until the URL answers 200 (readiness includes the first database ping)."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(url, timeout=2) as response,  # noqa: S310 - loopback URL
        ):
            if response.status == 200:  # noqa: PLR2004
                return
        time.sleep(0.1)
    raise StartupError(f"{url} did not answer 200 within {timeout_seconds} s")


@contextlib.contextmanager
def users_api(
    workdir: Path,
    *,
    mongodb_uri: str,
    database: str,
    env_overrides: Mapping[str, str] | None = None,
) -> Iterator[Service]:
    """`python -m app` as in production: JSON access log on stdout, redirected to a file."""
    port = free_port()
    env = {
        "HOST": LOOPBACK,
        "PORT": str(port),
        "MONGODB_URI": mongodb_uri,
        "MONGODB_DATABASE": database,
        "LOG_LEVEL": "info",
        "LOG_FORMAT": "json",
        "PYTHONPATH": str(REPO),
        **(env_overrides or {}),
    }
    log_path = workdir / ("service.log" if env_overrides is None else f"service-{port}.log")
    with child_process([sys.executable, "-m", "app"], log_path=log_path, env=env) as process:
        wait_until_listening(process, port=port, name="the service", timeout_seconds=READY_SECONDS)
        base_url = f"http://{LOOPBACK}:{port}"
        _wait_ready(f"{base_url}/readyz", timeout_seconds=READY_SECONDS)
        yield Service(pid=process.pid, base_url=base_url, log_path=log_path)


@contextlib.contextmanager
def trivial_app(workdir: Path) -> Iterator[Service]:
    """bench.trivial on a free port: aiohttp's own floor on this machine."""
    port = free_port()
    log_path = workdir / "trivial.log"
    argv = [sys.executable, "-m", "bench.trivial", str(port)]
    with child_process(argv, log_path=log_path, env={"PYTHONPATH": str(REPO)}) as process:
        wait_until_listening(process, port=port, name="the trivial app", timeout_seconds=30)
        yield Service(pid=process.pid, base_url=f"http://{LOOPBACK}:{port}", log_path=log_path)
