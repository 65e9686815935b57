"""What the hostile-client protections (app/protection) cost a well-behaved request.

Printed by `make bench`; `python -m bench.protection_costs` alone takes about 20 s.

- Upload budget: the middleware in-process, in front of a handler that does
  nothing, for a request without a body (GET, probes) and with one (POST);
  the same loop through a pass-through middleware is subtracted.
- Protocol guard (header deadline, quiet parser errors): the same one-route
  app served by aiohttp's own AppRunner and by GuardedAppRunner, each in a
  child process, sent the same number of keep-alive GETs over loopback; the
  figure is the difference in the server process's CPU per request, best of
  alternating rounds (CPU, not wall time: wrk-less, and the machine is shared).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import timeit
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, cast

import uvloop
from aiohttp import web

from app.protection.protocol import ConnectionGuard, GuardedAppRunner
from app.protection.upload_budget import UploadBudget, make_upload_budget_middleware
from bench.database import REPO
from bench.hostile_clients import exchange
from bench.middleware_baseline import noop_handler, pass_through
from bench.processes import LOOPBACK, child_process, cpu_seconds, free_port, wait_until_listening
from bench.trivial import get_constant

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine


_ITERATIONS = 50_000
_REQUESTS = 20_000
_CONNECTIONS = 16
_ROUNDS = 3
_GET = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"


@dataclass(frozen=True, slots=True)
class _Request:
    """What the upload-budget middleware reads of a request (aiohttp's mocks are too slow)."""

    body_exists: bool
    content_length: int | None


def _per_call_us(make_call: Callable[[], Awaitable[object]]) -> float:
    """Microseconds of CPU per awaited call, best of five; coroutines driven by hand, no loop."""

    def drive() -> None:
        coroutine = cast("Coroutine[object, object, object]", make_call())
        try:
            coroutine.send(None)
        except StopIteration:
            return
        raise RuntimeError("the call suspended; it cannot be timed without a loop")

    timings = timeit.repeat(drive, number=_ITERATIONS, repeat=5, timer=time.process_time)
    return min(timings) / _ITERATIONS * 1e6


def upload_budget_costs() -> list[str]:
    """The middleware's CPU per request without and with a body, above a pass-through."""
    limit = make_upload_budget_middleware(
        budget=UploadBudget(capacity_bytes=64 * 1024 * 1024), max_body_bytes=64 * 1024
    )
    get = _Request(body_exists=False, content_length=None)
    post = _Request(body_exists=True, content_length=2_500)
    lines = []
    for name, stand_in in (("GET (no body)", get), ("POST (2.5 KB body)", post)):
        request = cast("web.Request", stand_in)  # only body_exists and content_length are read
        base = _per_call_us(partial(pass_through, request, noop_handler))
        cost = _per_call_us(partial(limit, request, noop_handler))
        lines.append(f"Upload budget on {name}: {cost - base:+.2f} us/request")
    return lines


def _serve(kind: str, port: int) -> None:
    """Child process: the trivial app behind aiohttp's runner or the guarded one."""

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/", get_constant)
        runner: web.AppRunner
        if kind == "guarded":
            guard = ConnectionGuard(
                header_timeout_seconds=10.0,
                count_protocol_error=lambda _: None,
                count_header_timeout=lambda: None,
            )
            runner = GuardedAppRunner(app, guard=guard, access_log=None, handle_signals=True)
        else:
            runner = web.AppRunner(app, access_log=None, handle_signals=True)
        await runner.setup()
        await web.TCPSite(runner, LOOPBACK, port).start()
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    uvloop.run(main())


async def _drive(port: int) -> None:
    per_connection = _REQUESTS // _CONNECTIONS
    await asyncio.gather(*(exchange(port, _GET, count=per_connection) for _ in range(_CONNECTIONS)))


def _server_us_per_request(kind: str, workdir: Path) -> float:
    port = free_port()
    argv = [sys.executable, "-m", "bench.protection_costs", "--serve", kind, str(port)]
    log = workdir / f"{kind}.log"
    with child_process(argv, log_path=log, env={"PYTHONPATH": str(REPO)}) as process:
        wait_until_listening(process, port=port, name=f"the {kind} server", timeout_seconds=30)
        uvloop.run(_drive(port))  # warm-up: imports, caches, the allocator
        before = cpu_seconds(process.pid)
        uvloop.run(_drive(port))
        used = cpu_seconds(process.pid) - before
    return used / (_REQUESTS // _CONNECTIONS * _CONNECTIONS) * 1e6


def protocol_guard_cost() -> list[str]:
    """Server CPU per keep-alive GET, aiohttp's protocol against the guarded one."""
    plain: list[float] = []
    guarded: list[float] = []
    with tempfile.TemporaryDirectory(prefix="users-api-protection-") as workdir:
        for _ in range(_ROUNDS):
            plain.append(_server_us_per_request("plain", Path(workdir)))
            guarded.append(_server_us_per_request("guarded", Path(workdir)))
    line = (
        f"Protocol guard on a keep-alive GET: {min(guarded) - min(plain):+.1f} us/request "
        f"(server CPU {min(plain):.1f} -> {min(guarded):.1f} us, best of {_ROUNDS})"
    )
    return [line]


def main(argv: list[str] | None = None) -> int:
    """Print both figures (the --serve form is the child process)."""
    parser = argparse.ArgumentParser(prog="python -m bench.protection_costs", description=__doc__)
    parser.add_argument("--serve", nargs=2, metavar=("KIND", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        _serve(args.serve[0], int(args.serve[1]))
        return 0
    print("\n".join([*upload_budget_costs(), *protocol_guard_cost()]))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
