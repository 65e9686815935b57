"""Request input -> validated values: JSON bodies through pydantic, ids and limits from text."""

from __future__ import annotations

import asyncio
import itertools
import re
from typing import TYPE_CHECKING, TypeVar

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from pydantic import BaseModel, ValidationError

from app.errors import (
    MAX_FIELD_ERRORS,
    BodyReadTimeout,
    ClientDisconnected,
    FieldError,
    InvalidRequest,
    UndecodableBody,
    UnsupportedEncoding,
)
from app.json_text import decode_json, refuse_duplicate_keys
from app.users.models import MAX_USER_ID

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

Model = TypeVar("Model", bound=BaseModel)

# Decimal digits only: no sign, spaces, underscores or exponents, and short
# enough that int() never meets Python's huge-integer guard.
_DECIMAL = re.compile(r"[0-9]{1,20}")
# What aiohttp's parser decodes; anything else would reach the handler still encoded.
SUPPORTED_ENCODINGS = ("gzip", "deflate")
# No endpoint takes more than two parameters: a longer query is refused before it is examined.
MAX_QUERY_PARAMETERS = 16
_EXTRA_MEMBER = "Extra inputs are not permitted"


def _check_content_encoding(request: web.Request) -> None:
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding not in {"", "identity", *SUPPORTED_ENCODINGS}:
        raise UnsupportedEncoding(encoding[:40], SUPPORTED_ENCODINGS)


async def read_body(request: web.Request, *, timeout_seconds: float) -> bytes:
    """The whole body, refusing oversized (413) or too slow (408) uploads before buffering."""
    limit = request.client_max_size
    if request.content_length is not None and request.content_length > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length)
    _check_content_encoding(request)
    try:
        async with asyncio.timeout(timeout_seconds):
            return await request.read()
    except TimeoutError:
        raise BodyReadTimeout from None
    except ConnectionResetError:  # aiohttp's "Connection lost" when the peer goes away
        raise ClientDisconnected from None
    except (web.RequestPayloadError, HttpProcessingError) as error:
        # Marking the stream finished stops aiohttp from draining a broken
        # body after the answer (which would log a traceback).
        request.content.feed_eof()
        cause = error.__cause__ or error
        detail = getattr(cause, "message", None) or str(cause) or type(cause).__name__
        raise UndecodableBody(f"the request body could not be decoded: {detail}") from None


async def continue_unless_too_large(request: web.Request) -> None:
    """Expect: 100-continue handler that withholds the 100 when the body is over the limit.

    The client then gets the 413 without uploading anything (aiohttp's default
    handler always says 100, and its own errors would bypass problem+json).
    """
    too_large = (request.content_length or 0) > request.client_max_size
    expects_continue = request.headers.get("Expect", "").lower() == "100-continue"
    if expects_continue and not too_large and request.version >= (1, 1):
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        request.writer.output_size = 0  # the 100 is not part of the response size


def _pointer(location: Iterable[int | str]) -> str:
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in location)
    return "/".join(("#", *escaped))


def parse_json(model: type[Model], body: bytes) -> Model:
    """Parse, then validate; whatever the Content-Type header claims, JSON is expected.

    Work stays linear in the body: unknown members are counted here, so
    pydantic only ever sees the model's own fields and reports a handful of
    errors, never one per member of a hostile document.
    """
    document = decode_json(body)
    unknown: list[str] = []
    unknown_count = 0
    if isinstance(document, dict):
        fields = model.model_fields
        known = {name: document[name] for name in fields if name in document}
        unknown_count = len(document) - len(known)
        if unknown_count:
            # Only the names shown are looked at, never all of them.
            names = (name for name in document if name not in fields)
            unknown = list(itertools.islice(names, MAX_FIELD_ERRORS))
            document = known
    try:
        user = model.model_validate(document, strict=True)
    except ValidationError as error:
        problems = error.errors(include_url=False, include_input=False)
    else:
        if not unknown_count:
            refuse_duplicate_keys(body, document)  # only a document to be accepted needs it
            return user
        problems = []
    errors = [FieldError(pointer=_pointer(item["loc"]), detail=item["msg"]) for item in problems]
    errors += [FieldError(pointer=_pointer((name,)), detail=_EXTRA_MEMBER) for name in unknown]
    total = len(problems) + unknown_count
    raise InvalidRequest("the body does not describe a valid user", errors, total=total)


def parse_int(
    text: str, *, parameter: str, minimum: int, maximum: int, what: str = "an integer"
) -> int:
    """A decimal integer parameter within bounds, else a 422 naming the parameter."""
    if _DECIMAL.fullmatch(text) and minimum <= (value := int(text)) <= maximum:
        return value
    detail = f"must be {what} from {minimum} to {maximum} in decimal digits"
    raise InvalidRequest(
        f"invalid {parameter} parameter", [FieldError(parameter=parameter, detail=detail)]
    )


def parse_user_id(text: str, *, parameter: str = "id") -> int:
    """A user id given as text in a path or query string."""
    return parse_int(text, parameter=parameter, minimum=1, maximum=MAX_USER_ID, what="a user id")


def query_values(query: Mapping[str, str], *, allowed: frozenset[str]) -> dict[str, str]:
    """The query as a plain dict, refusing unknown, repeated and too many parameters (422).

    Linear in the query: names already reported sit in a set, not a list scan.
    """
    if len(query) > MAX_QUERY_PARAMETERS:
        detail = f"at most {MAX_QUERY_PARAMETERS} query parameters are accepted"
        raise InvalidRequest(f"{len(query)} query parameters given", [FieldError(detail=detail)])
    errors: list[FieldError] = []
    reported: set[str] = set()
    values: dict[str, str] = {}
    for name, value in query.items():
        if name not in allowed:
            detail = "unknown query parameter"
        elif name in values:
            detail = "given more than once"
        else:
            values[name] = value
            continue
        if name not in reported:
            reported.add(name)
            errors.append(FieldError(parameter=name, detail=detail))
    if errors:
        raise InvalidRequest("invalid query parameters", errors)
    return values
