"""What tracing costs per request, measured in-process: `python -m bench.tracing_cost`.

One "request" is the service's observability middleware (request id, metrics, access log)
around a handler that issues one MongoDB command's events, as a GET /users/{id} does; the
other middlewares are the same in both variants and left out, so the difference is tracing's:

- tracing off: what create_app wires without OTEL_* (observability middleware, plain recorder);
- tracing on: the tracing middleware, the PyMongo instrumentation's listener, exemplars, and the
  SDK's batch export over OTLP/HTTP to a local sink, whose worker-thread CPU is counted too.

CPU time (process_time, all threads) per request, so the figure is not the load of the 7 other
processes on a shared machine; the network and the database are not part of either path.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import http.server
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from pymongo.monitoring import CommandStartedEvent, CommandSucceededEvent

from app.observability.health import Readiness
from app.observability.inflight import InFlight
from app.observability.logging import configure_logging
from app.observability.metrics import Metrics
from app.observability.middleware import make_observability_middleware
from app.observability.tracing import start_tracing
from app.settings import Settings
from bench.database import REPO
from bench.processes import free_port

if TYPE_CHECKING:
    from collections.abc import Iterator

    from aiohttp.typedefs import Handler, Middleware
    from pymongo.monitoring import CommandListener


class _Sink(http.server.BaseHTTPRequestHandler):
    """Accepts OTLP/HTTP posts and answers 200, like a collector that keeps up."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        """Quiet."""


@contextmanager
def otlp_sink() -> Iterator[str]:
    """A local OTLP endpoint in a process of its own (its CPU is the collector's, not ours)."""
    port = free_port()
    argv = [sys.executable, "-m", "bench.tracing_cost", "--serve-sink", str(port)]
    sink = subprocess.Popen(argv, env={**os.environ, "PYTHONPATH": str(REPO)})  # noqa: S603
    try:
        if not wait_for_port(port):
            raise RuntimeError("the OTLP sink did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        sink.terminate()
        sink.wait()


def wait_for_port(port: int, *, timeout: float = 10.0) -> bool:
    """Whether something listens on the loopback port within the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return True
        time.sleep(0.05)
    return False


def _chain(middlewares: list[Middleware], handler: Handler) -> Handler:
    """The handler wrapped by the middlewares, outermost first, as aiohttp does."""
    for middleware in reversed(middlewares):

        async def call(
            request: web.Request, inner: Handler = handler, mw: Middleware = middleware
        ) -> web.StreamResponse:
            return await mw(request, inner)

        handler = call
    return handler


def _mongodb_handler(listeners: list[CommandListener]) -> Handler:
    """A handler that emits one find command's started and succeeded events."""
    address = ("127.0.0.1", 27017)
    command = {"find": "users", "filter": {"_id": 7}, "limit": 1}
    reply = {"cursor": {"firstBatch": [], "id": 0}, "ok": 1}
    duration = dt.timedelta(microseconds=200)
    counter = iter(range(1, 1 << 62))

    async def get_user(_: web.Request) -> web.StreamResponse:
        request_id = next(counter)
        for listener in listeners:
            listener.started(CommandStartedEvent(command, "users", request_id, address, request_id))
        for listener in listeners:
            listener.succeeded(
                CommandSucceededEvent(duration, reply, "find", request_id, address, request_id)
            )
        return web.Response(body=b'{"id":7}', content_type="application/json")

    return get_user


async def _measure(settings: Settings, requests: int) -> tuple[float, float]:
    """CPU microseconds per request, (all threads, event-loop thread), as create_app wires it."""
    metrics = Metrics()
    tracing = start_tracing(settings, dropped=metrics.spans_dropped)
    observability = make_observability_middleware(
        metrics=metrics,
        in_flight=InFlight(),
        readiness=Readiness(cache_seconds=1),
        exemplar=tracing.exemplar if tracing else None,
    )
    middlewares = [observability]
    if tracing:
        middlewares.insert(0, tracing.middleware())
    listeners = [tracing.mongodb_listener()] if tracing else []
    handler = _mongodb_handler(listeners)
    app = web.Application()
    app.router.add_get("/users/{id}", handler)
    chain = _chain(middlewares, handler)
    headers = {"traceparent": f"00-{os.urandom(16).hex()}-{os.urandom(8).hex()}-01"}
    request = make_mocked_request("GET", "/users/7", headers=headers, app=app)
    match_info = await app.router.resolve(request)
    request._match_info = match_info  # noqa: SLF001 - what aiohttp's own handler does

    for _ in range(requests // 10):  # warm-up: caches, first span, first export
        await chain(request)
    started, loop_started = time.process_time(), time.thread_time()
    for _ in range(requests):
        await chain(request)
    loop_cpu = time.thread_time() - loop_started
    if tracing:  # the export's CPU belongs to the requests that produced the spans
        tracing._processor.force_flush()  # noqa: SLF001
    cpu = time.process_time() - started
    if tracing:
        tracing._processor.shutdown()  # type: ignore[no-untyped-call]  # noqa: SLF001
    return cpu / requests * 1e6, loop_cpu / requests * 1e6


def main(argv: list[str] | None = None) -> int:
    """Print the per-request CPU cost with tracing off and on."""
    parser = argparse.ArgumentParser(prog="python -m bench.tracing_cost", description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000, help="per variant (20000)")
    parser.add_argument("--rounds", type=int, default=3, help="best of N rounds (3)")
    parser.add_argument("--serve-sink", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_sink:
        http.server.ThreadingHTTPServer(("127.0.0.1", args.serve_sink), _Sink).serve_forever()
        return 0
    # Production logging (JSON lines), written to /dev/null: both variants write the access
    # log, and a terminal would dominate the figures.
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115, PTH123 - for the whole process
    configure_logging(level="info", log_format="json")
    report = sys.__stdout__
    with otlp_sink() as endpoint:
        off_settings = Settings()
        on_settings = Settings(otel_exporter_otlp_endpoint=endpoint)
        off, off_loop = min(
            asyncio.run(_measure(off_settings, args.requests)) for _ in range(args.rounds)
        )
        on, on_loop = min(
            asyncio.run(_measure(on_settings, args.requests)) for _ in range(args.rounds)
        )
    print(
        f"tracing cost per request (CPU, in-process, best of {args.rounds} x {args.requests:,}"
        " requests; 1 server span + 1 MongoDB span + exemplar + OTLP export):\n"
        f"  tracing off (no OTEL_* endpoint): {off:6.1f} us per request"
        " (observability middleware alone; nothing of tracing is wired)\n"
        f"  tracing on  (sampled, exported):  {on:6.1f} us per request, +{on - off:.1f} us;"
        f" on the event loop {on_loop:.1f} us (+{on_loop - off_loop:.1f} us), the rest on the"
        " SDK's export thread",
        file=report,
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
