"""HTTP handlers for /users: parse, call the repository, serialize."""

from __future__ import annotations

from aiohttp import web

from app import keys
from app.errors import FieldError, InvalidRequest
from app.parsing import (
    continue_unless_too_large,
    parse_int,
    parse_json,
    parse_user_id,
    query_values,
    read_body,
)
from app.responses import json_response
from app.users.conditional import if_match, user_response
from app.users.models import UserCreate, UserReplace

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
_LOOKUP_QUERY = frozenset({"id"})
_PAGE_QUERY = frozenset({"limit", "after"})


async def _body(request: web.Request) -> bytes:
    return await read_body(
        request, timeout_seconds=request.app[keys.SETTINGS].body_read_timeout_seconds
    )


async def create_user(request: web.Request) -> web.Response:
    """POST /users."""
    user = parse_json(UserCreate, await _body(request))
    stored = await request.app[keys.USERS].create(user)
    return user_response(request, stored, status=201, headers={"Location": f"/users/{user.id}"})


async def get_user(request: web.Request) -> web.Response:
    """GET /users/{id}."""
    user_id = parse_user_id(request.match_info["id"])
    return user_response(request, await request.app[keys.USERS].get(user_id))


async def list_users(request: web.Request) -> web.Response:
    """GET /users: one page in id order, or the seed's lookup form `GET /users?id=N`."""
    if "id" in request.query:
        query = query_values(request.query, allowed=_LOOKUP_QUERY)
        user_id = parse_user_id(query["id"])
        return user_response(request, await request.app[keys.USERS].get(user_id))
    query = query_values(request.query, allowed=_PAGE_QUERY)
    limit = DEFAULT_PAGE_SIZE
    if "limit" in query:
        limit = parse_int(query["limit"], parameter="limit", minimum=1, maximum=MAX_PAGE_SIZE)
    after = parse_user_id(query["after"], parameter="after") if "after" in query else None
    return json_response(await request.app[keys.USERS].list_page(after=after, limit=limit))


async def replace_user(request: web.Request) -> web.Response:
    """PUT /users/{id}: replaces the name; the id itself never changes."""
    user_id = parse_user_id(request.match_info["id"])
    replacement = parse_json(UserReplace, await _body(request))
    if replacement.id is not None and replacement.id != user_id:
        detail = f"must equal the id in the path ({user_id}) or be left out"
        raise InvalidRequest(
            "the body's id does not match the path", [FieldError(pointer="#/id", detail=detail)]
        )
    stored = await request.app[keys.USERS].replace(user_id, replacement, if_match=if_match(request))
    return user_response(request, stored)


async def delete_user(request: web.Request) -> web.Response:
    """DELETE /users/{id}."""
    user_id = parse_user_id(request.match_info["id"])
    await request.app[keys.USERS].delete(user_id, if_match=if_match(request))
    return web.Response(status=204)


def user_routes() -> list[web.RouteDef]:
    """The /users route table; the OpenAPI document and its test follow it."""
    return [
        web.post("/users", create_user, expect_handler=continue_unless_too_large),
        web.get("/users", list_users),
        web.get("/users/{id}", get_user),
        web.put("/users/{id}", replace_user, expect_handler=continue_unless_too_large),
        web.delete("/users/{id}", delete_user),
    ]
