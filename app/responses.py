"""JSON responses, encoded once by orjson (dataclasses and UTC datetimes as `...Z`)."""

from __future__ import annotations

import orjson
from aiohttp import web


def json_response(
    payload: object, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """An application/json response of the payload."""
    return web.Response(
        status=status,
        body=orjson.dumps(payload, option=orjson.OPT_UTC_Z),
        content_type="application/json",
        headers=headers,
    )
