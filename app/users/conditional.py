"""Conditional requests (RFC 9110 section 13): ETags from revisions, If-Match and If-None-Match.

An ETag is strong and opaque to clients: `"<version>-<creation time in ms>"`,
or `"<version>"` for a user stored without a usable creation time. The
version counts writes (the repository increments it atomically with each
one); the creation time tells a user deleted and created again apart.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from aiohttp import web

from app.responses import json_response
from app.users.models import Revision

if TYPE_CHECKING:
    from app.users.models import StoredUser

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)
# An entity-tag (RFC 9110 section 8.8.3): an optional weak prefix and a quoted opaque tag.
_ENTITY_TAG = re.compile(r'(W/)?"([\x21\x23-\x7e]*)"')
_OUR_TAG = re.compile(r"([0-9]{1,19})(?:-(-?[0-9]{1,15}))?")


def etag(revision: Revision) -> str:
    """The strong ETag of a revision."""
    if revision.created_at is None:
        return f'"{revision.version}"'
    # A double holds today's milliseconds since 1970 exactly; round() undoes its binary fraction.
    return f'"{revision.version}-{round(revision.created_at.timestamp() * 1000)}"'


def _revision(opaque: str) -> Revision | None:
    match = _OUR_TAG.fullmatch(opaque)
    if match is None:
        return None
    version, created_ms = match.groups()
    created_at = None if created_ms is None else _EPOCH + int(created_ms) * _MILLISECOND
    return Revision(version=int(version), created_at=created_at)


def if_match(request: web.Request) -> list[Revision] | None:
    """The revisions a write is conditional on; None when it is unconditional.

    `*` asks only that the user exists, which every write requires anyway.
    Weak and foreign tags can never match (strong comparison), so a header of
    only those makes the write fail with 412 whenever the user exists.
    """
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    revisions = []
    for weak, opaque in _ENTITY_TAG.findall(header):
        revision = None if weak else _revision(opaque)
        if revision is not None:
            revisions.append(revision)
    return revisions


def _not_modified(header: str, current: str) -> bool:
    """If-None-Match uses weak comparison: W/"x" matches "x"."""
    if header.strip() == "*":
        return True
    return any(f'"{opaque}"' == current for _, opaque in _ENTITY_TAG.findall(header))


def user_response(
    request: web.Request,
    stored: StoredUser,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """The user with its ETag; 304 without a body for a GET whose If-None-Match names it."""
    tag = etag(stored.revision)
    none_match = request.headers.get("If-None-Match")
    if request.method == "GET" and none_match is not None and _not_modified(none_match, tag):
        return web.Response(status=304, headers={"ETag": tag})
    return json_response(stored.user, status=status, headers={**(headers or {}), "ETag": tag})
