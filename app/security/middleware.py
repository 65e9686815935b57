"""The one place a request meets authentication: admit it, or answer 400/401/403/503.

Answers follow RFC 6750 section 3: a `WWW-Authenticate: Bearer` challenge
(with `error="invalid_token"` when a token was sent and refused) and an
RFC 9457 problem body. The caller's name and the outcome are bound to the
request's log context, so the access log line carries them; the token never is.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import structlog
from aiohttp import web

from app.problems import problem_response
from app.security.errors import (
    AuthFailure,
    InvalidToken,
    KeysUnavailable,
    MalformedCredentials,
    MissingCredentials,
)
from app.security.identity import permits, required_role

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from aiohttp.typedefs import Handler, Middleware
    from multidict import CIMultiDictProxy

    from app.security.identity import Caller
    from app.security.metrics import AuthMetrics

REALM = "users-api"
RETRY_AFTER_SECONDS = "5"
# RFC 6750 section 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
# error_description may hold only these characters (RFC 6750 section 3).
_UNSAFE_DESCRIPTION = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


def safe_description(text: str) -> str:
    """Text fit for a WWW-Authenticate error_description (no quotes, backslashes, non-ASCII)."""
    return _UNSAFE_DESCRIPTION.sub("", text)[:200]


def bearer_token(headers: CIMultiDictProxy[str], *, max_bytes: int) -> str:
    """The one bearer token of the request; refused by length before any parsing."""
    values = headers.getall("Authorization", [])
    if not values:
        raise MissingCredentials("no Authorization header")
    if len(values) > 1:
        raise MalformedCredentials("more than one Authorization header")
    value = values[0]
    if len(value) > max_bytes + len("Bearer "):
        raise InvalidToken(f"token larger than {max_bytes} bytes")
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise MissingCredentials(f"the {scheme or 'empty'} scheme is not accepted; use Bearer")
    token = token.strip()
    if not _B64TOKEN.fullmatch(token):
        raise MalformedCredentials("the bearer token is empty or has characters RFC 6750 forbids")
    return token


def _challenge(error: str | None = None, description: str | None = None) -> str:
    parts = [f'Bearer realm="{REALM}"']
    if error:
        parts.append(f'error="{error}"')
    if description:
        parts.append(f'error_description="{safe_description(description)}"')
    return ", ".join(parts)


def failure_response(failure: AuthFailure) -> web.Response:
    """The HTTP answer to a refused request."""
    detail = str(failure)
    match failure:
        case MissingCredentials():
            return problem_response(
                status=401,
                slug="missing-credentials",
                title="Authentication required",
                detail=f"{detail}; send Authorization: Bearer <token>",
                headers={"WWW-Authenticate": _challenge()},
            )
        case MalformedCredentials():
            return problem_response(
                status=400,
                slug="malformed-credentials",
                title="Malformed Authorization header",
                detail=detail,
                headers={"WWW-Authenticate": _challenge("invalid_request", detail)},
            )
        case KeysUnavailable():
            return problem_response(
                status=503,
                slug="authentication-unavailable",
                title="Authentication unavailable",
                detail=f"no verification keys could be loaded ({detail}); retry later",
                headers={"Retry-After": RETRY_AFTER_SECONDS},
            )
    return problem_response(
        status=401,
        slug="invalid-token",
        title="Invalid token",
        detail=detail,
        headers={"WWW-Authenticate": _challenge("invalid_token", detail)},
    )


def forbidden_response(caller: Caller, method: str) -> web.Response:
    """403: a valid caller without the role the method needs."""
    needed = required_role(method)
    has = f"role {caller.role}" if caller.role else "no role"
    return problem_response(
        status=403,
        slug="forbidden",
        title="Forbidden",
        detail=f"{caller.name} has {has}; {method} needs {needed}",
        headers={"WWW-Authenticate": _challenge("insufficient_scope", f"{method} needs {needed}")},
    )


def make_auth_middleware(
    *,
    authenticate: Callable[[str], Awaitable[Caller]],
    metrics: AuthMetrics,
    public_routes: frozenset[str],
    max_token_bytes: int,
) -> Middleware:
    """Guard every matched route except the public ones (probes, metrics, the document)."""

    @web.middleware
    async def authenticate_request(request: web.Request, handler: Handler) -> web.StreamResponse:
        resource = request.match_info.route.resource
        # Unmatched requests (404, 405) reach no handler: nothing to protect.
        if resource is None or resource.canonical in public_routes:
            return await handler(request)
        try:
            caller = await authenticate(bearer_token(request.headers, max_bytes=max_token_bytes))
        except AuthFailure as failure:
            metrics.record_decision(failure.outcome, None)
            structlog.contextvars.bind_contextvars(auth=failure.outcome)
            return failure_response(failure)
        structlog.contextvars.bind_contextvars(caller=caller.name)
        if not permits(caller.role, required_role(request.method)):
            metrics.record_decision("forbidden", caller.name)
            structlog.contextvars.bind_contextvars(auth="forbidden")
            return forbidden_response(caller, request.method)
        metrics.record_decision("allowed", caller.name)
        structlog.contextvars.bind_contextvars(auth="allowed")
        return await handler(request)

    return authenticate_request
