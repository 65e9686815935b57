"""Type names for pytest-aiohttp's client, shared by the in-process tiers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeAlias

from aiohttp import web
from aiohttp.test_utils import TestClient

AppClient: TypeAlias = TestClient[web.Request, web.Application]
ClientFactory: TypeAlias = Callable[[web.Application], Awaitable[AppClient]]
