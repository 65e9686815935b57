"""Request input -> validated values: JSON bodies through pydantic, ids and limits from text."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from app.errors import BodyReadTimeout, FieldError, InvalidRequest, MalformedJson
from app.users.models import MAX_USER_ID

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

Model = TypeVar("Model", bound=BaseModel)

# Decimal digits only: no sign, spaces, underscores or exponents, and short
# enough that int() never meets Python's huge-integer guard.
_DECIMAL = re.compile(r"[0-9]{1,20}")


async def read_body(request: web.Request, *, timeout_seconds: float) -> bytes:
    """The whole body, refusing oversized (413) or too slow (408) uploads before buffering."""
    limit = request.client_max_size
    if request.content_length is not None and request.content_length > limit:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length)
    try:
        async with asyncio.timeout(timeout_seconds):
            return await request.read()
    except TimeoutError:
        raise BodyReadTimeout from None


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
    """Parse and validate in one pass; whatever the Content-Type header claims, JSON is expected."""
    try:
        return model.model_validate_json(body, strict=True)
    except ValidationError as error:
        problems = error.errors(include_url=False, include_input=False)
        malformed = next((item for item in problems if item["type"] == "json_invalid"), None)
        if malformed is not None:
            raise MalformedJson(f"the body is not valid JSON: {malformed['msg']}") from None
        errors = [
            FieldError(pointer=_pointer(item["loc"]), detail=item["msg"]) for item in problems
        ]
        raise InvalidRequest("the body does not describe a valid user", errors) from None


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
    """The query as a plain dict, refusing unknown and repeated parameters (422)."""
    errors: list[FieldError] = []
    values: dict[str, str] = {}
    for name, value in query.items():
        if name not in allowed:
            detail = "unknown query parameter"
        elif name in values:
            detail = "given more than once"
        else:
            values[name] = value
            continue
        if all(error.parameter != name for error in errors):
            errors.append(FieldError(parameter=name, detail=detail))
    if errors:
        raise InvalidRequest("invalid query parameters", errors)
    return values
