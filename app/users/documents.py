"""Stored documents -> users: tolerant reads of whatever the collection holds.

The rule (README, "Stored data"): a document is served when its `_id` is an
integer 1..2^63-1 (an integral double or decimal, as a shell writes `2`,
counts), its `name` is a string the API could have accepted, and its
`version`, if any, is a non-negative integer. Timestamps that are missing or
not a representable date (strings, binary, BSON timestamps, dates beyond
Python's range) read as null. Any other document is unusable: skipped from
pages, a 409 problem on direct lookup, counted and logged once per id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog
from bson import Decimal128

from app.users.models import MAX_NAME_LENGTH, MAX_USER_ID, NAME_PATTERN, StoredUser, User

if TYPE_CHECKING:
    from collections.abc import Callable

Document = dict[str, Any]
_NAME = re.compile(NAME_PATTERN)
# Ids logged so far; past this many, unusable documents are only counted, so a
# collection full of foreign documents cannot grow memory or flood the log.
_MAX_REMEMBERED_IDS = 10_000

logger = structlog.get_logger("app.users")


def integral(value: object, *, minimum: int, maximum: int) -> int | None:
    """The value as an int when it is a BSON number with an integral value within bounds."""
    number: object = value
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        number = int(value) if value.is_integer() else None
    elif isinstance(value, Decimal128):
        decimal = value.to_decimal()
        number = int(decimal) if decimal.is_finite() and decimal == int(decimal) else None
    if isinstance(number, int) and minimum <= number <= maximum:
        return number
    return None


def _timestamp(value: object) -> datetime | None:
    # Out-of-range dates decode as bson.DatetimeMS (DATETIME_AUTO), not datetime.
    return value if isinstance(value, datetime) else None


def _usable_name(value: object) -> str | None:
    if isinstance(value, str) and 1 <= len(value) <= MAX_NAME_LENGTH and _NAME.match(value):
        return value
    return None


@dataclass(frozen=True, slots=True)
class Unusable:
    """Why a stored document cannot be served: the first field that fails the rule."""

    field: str


def decode(document: Document) -> StoredUser | Unusable:
    """The stored user, or which field makes the document unusable."""
    user_id = integral(document.get("_id"), minimum=1, maximum=MAX_USER_ID)
    if user_id is None:
        return Unusable("_id")
    name = _usable_name(document.get("name"))
    if name is None:
        return Unusable("name")
    version = integral(document.get("version", 0), minimum=0, maximum=2**63 - 1)
    if version is None:
        return Unusable("version")
    user = User(
        id=user_id,
        name=name,
        created_at=_timestamp(document.get("created_at")),
        updated_at=_timestamp(document.get("updated_at")),
    )
    return StoredUser(user=user, version=version)


class UnusableDocuments:
    """Counts every encounter with an unusable document and logs each id once."""

    def __init__(self, *, count: Callable[[str], None]) -> None:
        self._count = count
        self._logged: set[str] = set()

    def report(self, document_id: object, problem: Unusable) -> None:
        """Count the encounter; log it unless this id was logged already."""
        self._count(problem.field)
        key = repr(document_id)
        if key in self._logged or len(self._logged) >= _MAX_REMEMBERED_IDS:
            return
        self._logged.add(key)
        logger.warning("unusable_user_document", document_id=key[:100], field=problem.field)
