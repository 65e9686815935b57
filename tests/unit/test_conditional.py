"""ETags name revisions; If-Match and If-None-Match compare them as RFC 9110 says."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest
from aiohttp.test_utils import make_mocked_request

from app.users.conditional import etag, if_match, user_response
from app.users.models import Revision, StoredUser, User

if TYPE_CHECKING:
    from aiohttp import web

CREATED = dt.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC)
STORED = StoredUser(User(id=2, name="Ann", created_at=CREATED, updated_at=CREATED), version=3)


def request(method: str, **headers: str) -> web.Request:
    return make_mocked_request(method, "/users/2", headers=headers)


def test_etag_is_strong_and_round_trips_through_if_match() -> None:
    tag = etag(STORED.revision)
    assert tag.startswith('"')
    assert tag.endswith('"')
    assert if_match(request("PUT", **{"If-Match": tag})) == [STORED.revision]


def test_recreated_user_gets_another_etag_at_the_same_version() -> None:
    later = Revision(version=3, created_at=CREATED + dt.timedelta(milliseconds=1))
    assert etag(later) != etag(STORED.revision)


def test_user_without_creation_time_has_a_version_only_etag() -> None:
    revision = Revision(version=0, created_at=None)
    assert etag(revision) == '"0"'
    assert if_match(request("PUT", **{"If-Match": '"0"'})) == [revision]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("*", None),
        (' "x", W/"3-1" ', []),
        ('"3-1", "4-2"', [(3, 1), (4, 2)]),
        ("garbage", []),
    ],
)
def test_if_match_lists_only_strong_tags_of_ours(
    header: str | None, expected: list[tuple[int, int]] | None
) -> None:
    headers = {} if header is None else {"If-Match": header}
    parsed = if_match(request("PUT", **headers))
    if expected is None:
        assert parsed is None
        return
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    assert parsed == [
        Revision(version, epoch + dt.timedelta(milliseconds=ms)) for version, ms in expected
    ]


@pytest.mark.parametrize("header", ["*", "{tag}", "W/{tag}", '"other", {tag}'])
def test_get_with_matching_if_none_match_is_304_without_body(header: str) -> None:
    tag = etag(STORED.revision)
    response = user_response(request("GET", **{"If-None-Match": header.format(tag=tag)}), STORED)
    assert response.status == 304
    assert response.headers["ETag"] == tag
    assert response.body is None


def test_get_with_other_if_none_match_is_200_with_etag() -> None:
    response = user_response(request("GET", **{"If-None-Match": '"1-1"'}), STORED)
    assert response.status == 200
    assert response.headers["ETag"] == etag(STORED.revision)
