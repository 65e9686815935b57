"""The no-database limit: the smallest aiohttp app, on uvloop, without an access log.

Run as `python -m bench.trivial PORT`; it answers GET / with constant JSON.
"""

from __future__ import annotations

import sys

import uvloop
from aiohttp import web

BODY = b'{"status":"ok"}'


async def get_constant(_: web.Request) -> web.Response:
    """The same body /healthz sends, with no middleware around it."""
    return web.Response(body=BODY, content_type="application/json")


def main() -> int:
    """Serve on 127.0.0.1:PORT until SIGTERM or SIGINT."""
    app = web.Application()
    app.router.add_get("/", get_constant)
    web.run_app(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        access_log=None,
        print=None,
        loop=uvloop.new_event_loop(),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
