"""The baseline of in-process middleware costs: a handler and a middleware doing nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from aiohttp.typedefs import Handler


async def noop_handler(_: web.Request) -> web.StreamResponse:
    """The cheapest handler: the figures are the middleware's, not a handler's."""
    return web.Response()


@web.middleware
async def pass_through(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A middleware that adds nothing; its cost is subtracted from the one measured."""
    return await handler(request)
