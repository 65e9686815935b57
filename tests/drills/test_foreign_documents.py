"""Foreign documents drill: every odd shape another writer can store, against the real process.

Seeds the service's collection the way other tools do (shell doubles, ObjectId
and string keys, binary and BSON timestamp values, dates beyond year 9999,
missing fields, the tutorial's layout), then calls every operation on every
id and walks every page size. Nothing may answer 5xx; unusable documents are
logged once each and counted.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
from typing import TYPE_CHECKING, Any

from bson import Binary, Int64, ObjectId, Timestamp
from bson.datetime_ms import DatetimeMS
from pymongo import MongoClient

from tests.support.blocking_http import call

if TYPE_CHECKING:
    from tests.support.app_process import AppProcess

WHEN = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
ODD_VALUES: list[object] = [
    "2026-01-02",
    Binary(b"\x00\x01"),
    Timestamp(1_700_000_000, 1),
    DatetimeMS(2**62),
    DatetimeMS(-(2**62)),
    None,
    {"nested": True},
    [1, 2],
]


def foreign_documents() -> list[dict[str, Any]]:
    """Servable ids 1..40 with odd values, and keys the API cannot address at all."""
    documents: list[dict[str, Any]] = []
    for index, odd in enumerate(ODD_VALUES):
        documents.append({"_id": 1 + index, "name": "odd times", "created_at": odd})
        documents.append({"_id": float(11 + index), "name": "double id", "updated_at": odd})
        documents.append({"_id": Int64(21 + index), "name": odd, "created_at": WHEN})
        documents.append({"_id": 31 + index, "name": "odd version", "version": odd})
    unaddressable = (ObjectId(), "7", 2.5, -3, 0, Binary(b"\x07"), 2.0**64, True, WHEN)
    documents.extend({"_id": key, "name": "unaddressable"} for key in unaddressable)
    documents.append({"id": 50, "name": "the tutorial's layout"})
    return documents


def walk(base_url: str, limit: int) -> tuple[list[int], list[int]]:
    """Ids served by a full page walk, and every status seen."""
    ids: list[int] = []
    statuses: list[int] = []
    query: dict[str, Any] = {"limit": limit}
    for _ in range(200):
        status, _, page = call("GET", f"{base_url}/users?{urllib.parse.urlencode(query)}")
        statuses.append(status)
        if status != 200:
            return ids, statuses
        ids += [user["id"] for user in page["items"]]
        if page["next_after"] is None:
            return ids, statuses
        query["after"] = page["next_after"]
    raise AssertionError("the walk never ended")


def test_no_stored_document_makes_any_operation_answer_5xx(service: AppProcess) -> None:
    client: MongoClient[dict[str, Any]] = MongoClient(service.env["MONGODB_URI"], timeoutMS=10_000)
    users = client[service.env["MONGODB_DATABASE"]]["users"]
    users.delete_many({})
    users.insert_many(foreign_documents(), bypass_document_validation=True)
    statuses: dict[int, int] = {}

    def count(status: int) -> None:
        statuses[status] = statuses.get(status, 0) + 1

    served_by_walks = set()
    for limit in (1, 2, 3, 7, 50):
        ids, seen = walk(service.base_url, limit)
        for status in seen:
            count(status)
        served_by_walks.add(tuple(ids))
    for user_id in range(1, 51):
        for path in (f"/users/{user_id}", f"/users?id={user_id}"):
            status, headers, _ = call("GET", service.base_url + path)
            count(status)
            if status == 200:
                status, _, _ = call(
                    "GET", service.base_url + path, headers={"If-None-Match": headers["ETag"]}
                )
                count(status)
    for user_id in range(1, 51):
        body = json.dumps({"name": f"renamed {user_id}"}).encode()
        status, _, _ = call("PUT", f"{service.base_url}/users/{user_id}", body)
        count(status)
        status, _, _ = call("DELETE", f"{service.base_url}/users/{user_id}")
        count(status)
    client.close()

    print(f"\nforeign documents: statuses {dict(sorted(statuses.items()))}")
    assert all(status < 500 for status in statuses), statuses
    assert len(served_by_walks) == 1, "every page size must serve the same users"
    unusable = [
        event for event in service.log_events() if event["event"] == "unusable_user_document"
    ]
    logged_ids = [event["document_id"] for event in unusable]
    assert len(logged_ids) == len(set(logged_ids)), "each unusable document is logged once"
    assert {event["field"] for event in unusable} == {"name", "version"}
