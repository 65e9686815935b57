"""Which stored values count as user ids and versions (the tolerant-read rule)."""

from __future__ import annotations

import datetime as dt

import pytest
from bson import Binary, Decimal128, Int64, ObjectId

from app.users.documents import Unusable, decode, integral
from app.users.models import MAX_USER_ID


@pytest.mark.parametrize(
    ("stored", "served"),
    [
        (2, 2),
        (Int64(MAX_USER_ID), MAX_USER_ID),
        (2.0, 2),
        (Decimal128("6"), 6),
        (Decimal128("6.000"), 6),
        (2.0**62, 2**62),
    ],
)
def test_integral_numbers_of_any_bson_type_are_ids(stored: object, served: int) -> None:
    assert integral(stored, minimum=1, maximum=MAX_USER_ID) == served


@pytest.mark.parametrize(
    "stored",
    [
        0,
        -1,
        MAX_USER_ID + 1,
        2.5,
        float("nan"),
        float("inf"),
        2.0**63,
        Decimal128("6.5"),
        Decimal128("NaN"),
        Decimal128("Infinity"),
        True,
        "2",
        ObjectId(),
        Binary(b"\x02"),
        None,
    ],
)
def test_other_values_are_not_ids(stored: object) -> None:
    assert integral(stored, minimum=1, maximum=MAX_USER_ID) is None


def test_document_without_version_or_timestamps_is_served_at_version_0() -> None:
    decoded = decode({"_id": 3.0, "name": "Ann"})
    assert not isinstance(decoded, Unusable)
    assert (decoded.user.id, decoded.user.created_at, decoded.version) == (3, None, 0)


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"_id": ObjectId(), "id": 2, "name": "Ann"}, "_id"),
        ({"_id": 2, "name": "Ann\x1b[31m"}, "name"),
        ({"_id": 2, "name": "Ann", "version": "7"}, "version"),
        ({"_id": 2, "name": "Ann", "version": -1}, "version"),
    ],
)
def test_unusable_documents_name_the_first_bad_field(
    document: dict[str, object], field: str
) -> None:
    assert decode(document) == Unusable(field)


def test_timestamps_that_are_not_dates_read_as_none() -> None:
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    decoded = decode({"_id": 2, "name": "A", "created_at": when, "updated_at": "yesterday"})
    assert not isinstance(decoded, Unusable)
    assert (decoded.user.created_at, decoded.user.updated_at) == (when, None)
