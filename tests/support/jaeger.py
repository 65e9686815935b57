"""A real Jaeger (v2, the OpenTelemetry-collector based all-in-one) as a child process."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

from tests.support.ports import free_port, wait_for_port
from tests.support.processes import terminate

if TYPE_CHECKING:
    from pathlib import Path

START_TIMEOUT_SECONDS = 60.0

# Only what the tests use: OTLP/HTTP in, memory storage, the query API out.
# Every listener is pinned to loopback on a free port: the built-in defaults
# (16686, 4317, 4318, 8888 ...) would collide with other runs, and the query
# extension's defaults listen on every interface.
_CONFIG = """\
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_storage:
    backends:
      memory_store:
        memory:
          max_traces: 10000
  jaeger_query:
    storage:
      traces: memory_store
    enable_tracing: false
    http:
      endpoint: 127.0.0.1:{query_port}
    grpc:
      endpoint: 127.0.0.1:{query_grpc_port}
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{otlp_port}
exporters:
  jaeger_storage_exporter:
    trace_storage: memory_store
"""


class Jaeger:
    """One Jaeger: OTLP over HTTP in, traces out through its query HTTP API."""

    def __init__(self, binary: Path, work_dir: Path) -> None:
        self.binary = binary
        self.work_dir = work_dir
        self.otlp_port = free_port()
        self.query_port = free_port()
        self.query_grpc_port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def otlp_endpoint(self) -> str:
        """The value for OTEL_EXPORTER_OTLP_ENDPOINT."""
        return f"http://127.0.0.1:{self.otlp_port}"

    @property
    def log_path(self) -> Path:
        """Where Jaeger's own output goes."""
        return self.work_dir / "jaeger.log"

    def start(self) -> None:
        """Start and wait until both OTLP and the query API listen, or raise with its log."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        config = self.work_dir / "jaeger.yaml"
        config.write_text(
            _CONFIG.format(
                query_port=self.query_port,
                query_grpc_port=self.query_grpc_port,
                otlp_port=self.otlp_port,
            )
        )
        with self.log_path.open("ab") as output:
            self._process = subprocess.Popen(
                [str(self.binary), "--config", str(config)],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        for port in (self.otlp_port, self.query_port):
            if not wait_for_port(port, timeout=max(0.1, deadline - time.monotonic())):
                self.stop()
                raise RuntimeError(
                    f"Jaeger did not listen on 127.0.0.1:{port} within {START_TIMEOUT_SECONDS}s;"
                    f" log:\n{self.log_path.read_text(errors='replace')[-3000:]}"
                )

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        if self._process is None:
            return
        terminate(self._process)
        self._process = None

    def query(self, path: str) -> Any:
        """GET on the query HTTP API (e.g. /api/traces/<id>); the decoded JSON, or None on 404."""
        url = f"http://127.0.0.1:{self.query_port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise

    def wait_for_trace(
        self, trace_id: str, *, spans_at_least: int, timeout: float = 20.0
    ) -> dict[str, Any]:
        """The trace once it holds that many spans; AssertionError with the last answer if not."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            last = self.query(f"/api/traces/{trace_id}")
            traces = (last or {}).get("data") or []
            if traces and len(traces[0]["spans"]) >= spans_at_least:
                trace: dict[str, Any] = traces[0]
                return trace
            time.sleep(0.25)
        raise AssertionError(f"trace {trace_id} not in Jaeger within {timeout}s; last: {last}")
