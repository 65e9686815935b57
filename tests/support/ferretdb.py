"""A real FerretDB (MongoDB wire protocol, SQLite backend) as a child process."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

from tests.support.ports import free_port, wait_for_port
from tests.support.processes import terminate

if TYPE_CHECKING:
    from pathlib import Path

START_TIMEOUT_SECONDS = 15.0


class FerretDB:
    """One FerretDB server; stop() and start() again keep its port and data (outage drills)."""

    def __init__(self, binary: Path, data_dir: Path, *, host: str = "127.0.0.1") -> None:
        self.binary = binary
        self.data_dir = data_dir
        self.host = host
        self.port = free_port(host)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        """Connection string for clients on this machine."""
        return f"mongodb://{self.host}:{self.port}/"

    def start(self) -> None:
        """Start and wait until it accepts connections, or raise with its log."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.data_dir / "ferretdb.log"
        argv = [
            str(self.binary),
            "--handler=sqlite",
            f"--sqlite-url=file:{self.data_dir}/",
            f"--state-dir={self.data_dir}",
            f"--listen-addr={self.host}:{self.port}",
            "--debug-addr=-",
            "--telemetry=disable",
            "--log-level=warn",
        ]
        with log.open("ab") as output:
            self._process = subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT)
        if not wait_for_port(self.port, timeout=START_TIMEOUT_SECONDS, host=self.host):
            self.stop()
            raise RuntimeError(
                f"FerretDB did not listen on {self.host}:{self.port} "
                f"within {START_TIMEOUT_SECONDS}s; log:\n{log.read_text(errors='replace')[-2000:]}"
            )

    def stop(self, *, crash: bool = False) -> None:
        """Stop the server: SIGTERM (SIGKILL after 10 s), or SIGKILL at once with crash=True."""
        if self._process is None:
            return
        if crash:
            self._process.kill()
        terminate(self._process)
        self._process = None
