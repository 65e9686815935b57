"""RFC 9457 problem details: the one place where errors become HTTP responses."""

from __future__ import annotations

from dataclasses import asdict
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import orjson
import structlog
from aiohttp import web

from app.errors import (
    BodyReadTimeout,
    ClientDisconnected,
    DatabaseUnavailable,
    DomainError,
    InvalidRequest,
    MalformedJson,
    Overloaded,
    PreconditionFailed,
    StoredUserUnusable,
    UndecodableBody,
    UnsupportedEncoding,
    UploadBudgetExhausted,
    UserExists,
    UserNotFound,
)

if TYPE_CHECKING:
    from aiohttp.typedefs import Handler

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Problem types are identifiers, not links (RFC 9457 section 3.1.1 allows
# non-dereferenceable URIs); a tag URI (RFC 4151) says so explicitly.
PROBLEM_TYPE_PREFIX = "tag:users-api,2026:problems/"
RETRY_AFTER_SECONDS = "1"
CLIENT_CLOSED_REQUEST = 499  # nginx's convention: the client went away, nobody reads this

logger = structlog.get_logger("app.problems")


def problem_response(  # noqa: PLR0913 - keyword-only, each optional
    *,
    status: int,
    detail: str,
    slug: str | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> web.Response:
    """Build an application/problem+json response; `slug=None` means about:blank."""
    body: dict[str, Any] = {
        "type": f"{PROBLEM_TYPE_PREFIX}{slug}" if slug else "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if extra:
        body.update(extra)
    return web.Response(
        status=status,
        body=orjson.dumps(body),
        content_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


def _from_domain_error(error: DomainError) -> web.Response:  # noqa: PLR0911 - one branch per error
    match error:
        case InvalidRequest():
            errors = [
                {key: value for key, value in asdict(item).items() if value is not None}
                for item in error.errors
            ]
            return problem_response(
                status=422,
                slug="validation-error",
                title="Request validation failed",
                detail=error.detail,
                extra={"errors": errors, "error_count": error.total},
            )
        case MalformedJson():
            return problem_response(
                status=400, slug="malformed-json", title="Malformed JSON", detail=error.detail
            )
        case UserNotFound():
            return problem_response(
                status=404, slug="user-not-found", title="User not found", detail=str(error)
            )
        case UserExists():
            return problem_response(
                status=409, slug="user-exists", title="User already exists", detail=str(error)
            )
        case DatabaseUnavailable():
            return problem_response(
                status=503,
                slug="database-unavailable",
                title="Database unavailable",
                detail="the database did not answer in time; retry later",
                headers={"Retry-After": RETRY_AFTER_SECONDS},
            )
        case StoredUserUnusable():
            return problem_response(
                status=409,
                slug="stored-user-unusable",
                title="Stored user unusable",
                detail=str(error),
            )
        case PreconditionFailed():
            return problem_response(
                status=412, slug="precondition-failed", title="User changed", detail=str(error)
            )
        case Overloaded():
            return problem_response(
                status=503,
                slug="overloaded",
                title="Overloaded",
                detail="too many requests are waiting on the database; retry later",
                headers={"Retry-After": RETRY_AFTER_SECONDS},
            )
        case BodyReadTimeout():
            return problem_response(status=408, detail="the request body did not arrive in time")
    return _from_transport_error(error)


def _from_transport_error(error: DomainError) -> web.Response:
    """Errors of the body's transport: encoding, framing, budget, disconnects."""
    match error:
        case UndecodableBody():
            response = problem_response(
                status=400, slug="undecodable-body", title="Undecodable body", detail=error.detail
            )
            response.force_close()  # the stream is broken: nothing after it can be parsed
            return response
        case UnsupportedEncoding():
            supported = ", ".join(error.supported)
            return problem_response(
                status=415,
                slug="unsupported-content-encoding",
                title="Unsupported Content-Encoding",
                detail=f"{error}; supported: {supported}",
                headers={"Accept-Encoding": supported},
            )
        case UploadBudgetExhausted():
            response = problem_response(
                status=503,
                slug="upload-budget-exhausted",
                title="Too many uploads in progress",
                detail="request bodies being received use the memory budget; retry later",
                headers={"Retry-After": RETRY_AFTER_SECONDS},
            )
            response.force_close()
            return response
        case ClientDisconnected():
            return problem_response(
                status=CLIENT_CLOSED_REQUEST,
                title="Client Closed Request",
                detail="the client closed the connection before its request was complete",
            )
    return problem_response(status=500, detail="unexpected error")


def _from_http_exception(request: web.Request, error: web.HTTPException) -> web.Response:
    headers = {name: value for name, value in error.headers.items() if name.lower() == "allow"}
    if isinstance(error, web.HTTPNotFound):
        detail = f"no route matches {request.path}"
    elif isinstance(error, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(error.allowed_methods))
        detail = f"{request.method} is not allowed here; allowed: {allowed}"
    elif isinstance(error, web.HTTPRequestEntityTooLarge):
        detail = f"the request body exceeds the limit of {request.client_max_size} bytes"
    else:
        detail = error.text or error.reason
    return problem_response(status=error.status, detail=detail, headers=headers)


@web.middleware
async def problems_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every error into problem+json, so no input can reach the client as a bare 500."""
    try:
        return await handler(request)
    except DomainError as error:
        return _from_domain_error(error)
    except web.HTTPException as error:
        if error.status < 400:  # noqa: PLR2004 - redirects pass through untouched
            raise
        return _from_http_exception(request, error)
    except Exception:
        logger.exception("unhandled_error")
        return problem_response(status=500, detail="unexpected error; see the service logs")
