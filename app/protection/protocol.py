"""aiohttp's connection protocol plus what it lacks against hostile clients.

- A header-read deadline: aiohttp has none, so a connection that trickles (or
  never sends) its request headers would be held until the keep-alive timeout
  (an hour by default). Here the headers of a request must be complete within
  HEADER_READ_TIMEOUT_SECONDS of its first byte (of the connection, for the
  first request), else the connection gets a 408 and is closed.
- Protocol errors from the HTTP parser become one rate-limited warning line
  (no traceback), a metric, and an application/problem+json 400 with an
  X-Request-ID, instead of aiohttp's ERROR traceback and text/plain answer.
- A framing error in a body that a handler is reading (a malformed chunk after
  a valid one) fails that read at once, instead of leaving it to the body timeout;
  one found while aiohttp drains an unread body is that same warning, not a traceback.

The hooks use aiohttp's RequestHandler internals (pinned in uv.lock); the
drills in tests/drills/test_resource_abuse.py fail if an upgrade changes them.
"""

from __future__ import annotations

import asyncio
import os
from time import monotonic
from typing import TYPE_CHECKING, Any

import orjson
import structlog
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler, _ErrInfo

from app.observability.middleware import REQUEST_ID_HEADER
from app.problems import PROBLEM_CONTENT_TYPE, problem_response

if TYPE_CHECKING:
    from collections.abc import Callable

    from aiohttp.streams import StreamReader
    from aiohttp.web_request import BaseRequest
    from aiohttp.web_response import StreamResponse

logger = structlog.get_logger("app.protocol")

_HEADER_TIMEOUT_PROBLEM = orjson.dumps(
    {
        "type": "about:blank",
        "title": "Request Timeout",
        "status": 408,
        "detail": "the request headers did not arrive in time",
    }
)
# Written straight to the transport: there is no request object to answer through.
_HEADER_TIMEOUT_ANSWER = (
    b"HTTP/1.1 408 Request Timeout\r\nContent-Type: %s\r\nConnection: close\r\n"
    b"Content-Length: %d\r\n\r\n%s"
) % (PROBLEM_CONTENT_TYPE.encode(), len(_HEADER_TIMEOUT_PROBLEM), _HEADER_TIMEOUT_PROBLEM)


class RateLimitedWarnings:
    """At most one warning line per interval; the lines in between are counted, not written."""

    def __init__(self, *, interval_seconds: float = 1.0) -> None:
        self._interval = interval_seconds
        self._next_at = 0.0
        self._suppressed = 0

    def warn(self, event: str, **fields: object) -> None:
        """Log now, or count the line into the `suppressed` field of the next one."""
        now = monotonic()
        if now < self._next_at:
            self._suppressed += 1
            return
        self._next_at = now + self._interval
        logger.warning(event, suppressed=self._suppressed, **fields)
        self._suppressed = 0


class ConnectionGuard:
    """What every guarded connection shares: the deadline, the counters and the log limiter."""

    def __init__(
        self,
        *,
        header_timeout_seconds: float,
        count_protocol_error: Callable[[str], None],
        count_header_timeout: Callable[[], None],
    ) -> None:
        self.header_timeout_seconds = header_timeout_seconds
        self.count_protocol_error = count_protocol_error
        self.count_header_timeout = count_header_timeout
        self.warnings = RateLimitedWarnings()

    def protocol_error(self, error: BaseException, peer: str | None) -> None:
        """Count and (rate-limited) log one request the HTTP parser refused."""
        name = type(error).__name__
        self.count_protocol_error(name)
        message = getattr(error, "message", "") or str(error)
        self.warnings.warn("http_protocol_error", error=name, detail=message[:200], peer=peer)


class GuardedRequestHandler(RequestHandler):
    """One connection: aiohttp's protocol with a header deadline and quiet protocol errors."""

    __slots__ = ("_guard", "_header_deadline", "_last_payload", "_requests_at_deadline")

    def __init__(
        self,
        manager: web.Server,
        *,
        guard: ConnectionGuard,
        **kwargs: Any,  # noqa: ANN401 - aiohttp's protocol options, passed through
    ) -> None:
        super().__init__(manager, **kwargs)
        self._guard = guard
        self._header_deadline: asyncio.TimerHandle | None = None
        self._requests_at_deadline = 0
        self._last_payload: StreamReader | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """The first request's headers are due within the timeout of the connection opening."""
        super().connection_made(transport)
        self._arm_header_deadline()

    def connection_lost(self, exc: BaseException | None) -> None:
        """Drop the deadline with the connection."""
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Parse as aiohttp does, then track the header deadline and body framing errors."""
        requests_before = self._request_count
        between_requests = self._last_payload is None or self._last_payload.is_eof()
        super().data_received(data)
        if self._request_count > requests_before:
            self._disarm_header_deadline()
            message, self._last_payload = self._messages[-1] if self._messages else (None, None)
            if isinstance(message, _ErrInfo):
                self._fail_unfinished_body(message)
        elif between_requests and data:
            self._arm_header_deadline()  # bytes while no request is open: they are headers

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> StreamResponse:
        """A parser error: a problem document and one rate-limited warning, never a traceback."""
        if not isinstance(exc, HttpProcessingError):
            return super().handle_error(request, status, exc, message)
        self._guard.protocol_error(exc, request.remote)
        if request.writer.output_size > 0:
            raise ConnectionError("a response was already under way; cannot answer the error")
        response = problem_response(
            status=status,
            slug="malformed-http",
            title="Malformed HTTP request",
            detail=f"the request is not valid HTTP/1.1 ({type(exc).__name__})",
            headers={REQUEST_ID_HEADER: os.urandom(16).hex()},
        )
        response.force_close()
        return response

    def log_exception(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401 - aiohttp's
        """A client's broken body met while draining it is a protocol error, not a traceback."""
        error = kwargs.get("exc_info")
        if isinstance(error, web.RequestPayloadError | HttpProcessingError):
            self._guard.protocol_error(error.__cause__ or error, None)
            return
        super().log_exception(*args, **kwargs)

    def _fail_unfinished_body(self, error: _ErrInfo) -> None:
        """Hand a body framing error to the handler reading that body, and answer only once."""
        request = self._current_request
        if request is None or request.content.is_eof():
            return  # the error belongs to a request not yet handled: handle_error answers it
        self._messages.pop()
        self._guard.protocol_error(error.exc, request.remote)
        request.content.set_exception(error.exc)
        self.close()  # nothing after a broken body can be parsed

    def _arm_header_deadline(self) -> None:
        if self._header_deadline is None:
            self._requests_at_deadline = self._request_count
            self._header_deadline = self._loop.call_later(
                self._guard.header_timeout_seconds, self._header_deadline_passed
            )

    def _disarm_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _header_deadline_passed(self) -> None:
        self._header_deadline = None
        if self.transport is None or self._request_count > self._requests_at_deadline:
            return
        if self._request_in_progress:  # a pipelined request is still being answered
            self._arm_header_deadline()
            return
        self._guard.count_header_timeout()
        self.transport.write(_HEADER_TIMEOUT_ANSWER)
        self.force_close()


class GuardedServer(web.Server):
    """aiohttp's low-level server, making guarded connections."""

    def __init__(
        self,
        *args: Any,  # noqa: ANN401 - aiohttp's server arguments, passed through
        guard: ConnectionGuard,
        **kwargs: Any,  # noqa: ANN401
    ) -> None:
        super().__init__(*args, **kwargs)
        self._guard = guard

    def __call__(self) -> RequestHandler:
        """A protocol instance for one new connection."""
        return GuardedRequestHandler(self, guard=self._guard, loop=self._loop, **self._kwargs)


class GuardedAppRunner(web.AppRunner):
    """AppRunner whose server makes guarded connections; everything else is aiohttp's."""

    __slots__ = ("_guard",)

    def __init__(
        self,
        app: web.Application,
        *,
        guard: ConnectionGuard,
        **kwargs: Any,  # noqa: ANN401 - aiohttp's runner options, passed through
    ) -> None:
        super().__init__(app, **kwargs)
        self._guard = guard

    async def _make_server(self) -> web.Server:
        plain = await super()._make_server()
        return GuardedServer(
            plain.request_handler,
            request_factory=plain.request_factory,
            handler_cancellation=plain.handler_cancellation,
            loop=asyncio.get_running_loop(),
            guard=self._guard,
            debug=self.app._debug,  # noqa: SLF001 - what Application._make_handler passes on
            **self._kwargs,
        )
