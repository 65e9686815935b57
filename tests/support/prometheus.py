"""A real Prometheus server (Debian's package) as a child process, queried over its HTTP API."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from tests.support.blocking_http import http_status
from tests.support.ports import free_port, wait_for_port
from tests.support.processes import terminate

if TYPE_CHECKING:
    from pathlib import Path

START_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class ScrapeTarget:
    """What to scrape: the job name, host:port, and the labels a ServiceMonitor would add."""

    job: str
    address: str
    labels: dict[str, str]


class Prometheus:
    """One Prometheus on a loopback port, its data in a temporary folder, scraping one target."""

    def __init__(
        self,
        binary: Path,
        work_dir: Path,
        *,
        target: ScrapeTarget,
        rule_files: list[Path],
    ) -> None:
        self.binary = binary
        self.work_dir = work_dir
        self.port = free_port()
        self._config = {
            # Every second, so a short bounded load leaves enough samples for rate().
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(path) for path in rule_files],
            "scrape_configs": [
                {
                    "job_name": target.job,
                    "static_configs": [{"targets": [target.address], "labels": target.labels}],
                }
            ],
        }
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        """Where the server's own output goes."""
        return self.work_dir / "prometheus.log"

    def start(self) -> None:
        """Start and wait until it is ready to answer queries, or raise with its log."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        config = self.work_dir / "prometheus.yml"
        config.write_text(yaml.safe_dump(self._config))
        argv = [
            str(self.binary),
            f"--config.file={config}",
            f"--storage.tsdb.path={self.work_dir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            # Scrape exemplars (Prometheus asks for OpenMetrics, which carries them).
            "--enable-feature=exemplar-storage",
            "--log.level=warn",
        ]
        with self.log_path.open("ab") as output:
            self._process = subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT)
        if not self._wait_ready():
            self.stop()
            log = self.log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(
                f"Prometheus did not listen on 127.0.0.1:{self.port}"
                f" within {START_TIMEOUT_SECONDS}s; log:\n{log}"
            )

    def _wait_ready(self) -> bool:
        """Whether /-/ready answers 200 (the TSDB is open) within START_TIMEOUT_SECONDS."""
        if not wait_for_port(self.port, timeout=START_TIMEOUT_SECONDS):
            return False
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if http_status(f"http://127.0.0.1:{self.port}/-/ready") == 200:
                return True
            time.sleep(0.2)
        return False

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        if self._process is None:
            return
        terminate(self._process)
        self._process = None

    def api(self, path: str, **params: str) -> Any:
        """GET /api/v1/<path>; the whole JSON answer (errors included, never raised)."""
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:  # 400/422: a bad query, explained in the body
            return json.loads(error.read())

    def query(self, expr: str) -> Any:
        """An instant query now: the JSON answer ({"status": ..., "data": {"result": [...]}})."""
        return self.api("query", query=expr)

    def wait_for_series(self, expr: str, *, timeout: float = 30.0) -> list[Any]:
        """The query's result once it is not empty; AssertionError with the last answer if never."""
        deadline = time.monotonic() + timeout
        answer: Any = None
        while time.monotonic() < deadline:
            answer = self.query(expr)
            if answer.get("status") == "success" and answer["data"]["result"]:
                result: list[Any] = answer["data"]["result"]
                return result
            time.sleep(0.5)
        raise AssertionError(f"{expr!r} returned no series within {timeout}s: {answer}")
