"""The service as a real `python -m app` process, the way a container runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from typing import TYPE_CHECKING, Any

from tests.support.blocking_http import http_status
from tests.support.ports import free_port
from tests.support.tiers import REPO_ROOT

if TYPE_CHECKING:
    import signal
    from collections.abc import Mapping
    from pathlib import Path


def local_env(mongodb_uri: str, **overrides: str) -> dict[str, str]:
    """Environment for `python -m app` on a free loopback port and a database of its own."""
    return {
        "PORT": str(free_port()),
        "HOST": "127.0.0.1",
        "MONGODB_URI": mongodb_uri,
        "MONGODB_DATABASE": f"test_{uuid.uuid4().hex[:16]}",
        **overrides,
    }


class AppProcess:
    """`python -m app` with exactly the given environment (plus PATH), logs captured to a file."""

    def __init__(
        self, env: Mapping[str, str], log_path: Path, *, argv: list[str] | None = None
    ) -> None:
        self.env = {"PATH": os.environ.get("PATH", ""), **env}
        self.log_path = log_path
        self.argv = argv or [sys.executable, "-m", "app"]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        """Where the process listens, from its PORT."""
        return f"http://127.0.0.1:{self.env.get('PORT', '8080')}"

    def start(self) -> None:
        """Start the process (from the repository root, as WORKDIR is in the image)."""
        with self.log_path.open("wb") as output:
            self.process = subprocess.Popen(
                self.argv, cwd=REPO_ROOT, env=self.env, stdout=output, stderr=subprocess.STDOUT
            )

    def wait_until(self, path: str, status: int, *, timeout: float = 15.0) -> float:
        """Seconds until GET path answers the status; fails with the log if it never does."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if http_status(self.base_url + path, timeout=1.0) == status:
                return time.monotonic() - started
            if self.process is not None and self.process.poll() is not None:
                break
            time.sleep(0.05)
        message = f"GET {path} never answered {status}; log:\n{self.log_text()[-3000:]}"
        raise AssertionError(message)

    def signal(self, signum: signal.Signals) -> None:
        """Send a signal to the running process."""
        assert self.process is not None
        self.process.send_signal(signum)

    def wait(self, *, timeout: float) -> int:
        """The exit code, waiting at most timeout seconds."""
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        """Terminate if still running (test teardown)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def log_text(self) -> str:
        """Everything the process printed so far."""
        return self.log_path.read_text(errors="replace")

    def log_events(self) -> list[dict[str, Any]]:
        """The JSON log lines, parsed (fails on a line that is not JSON)."""
        return [json.loads(line) for line in self.log_text().splitlines() if line.strip()]
