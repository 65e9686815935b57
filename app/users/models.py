"""Pydantic models per direction (create, replace) and the public shapes returned to clients."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime  # noqa: TC003 - pydantic reads the annotations at run time
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

MAX_USER_ID = 2**63 - 1  # the largest BSON int64, so every id fits MongoDB's native integer
MAX_NAME_LENGTH = 200
# Control characters (C0, DEL, C1) corrupt logs and terminals downstream.
NAME_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
# Bidi embeddings, overrides and isolates reorder the text around them on
# screen (CVE-2021-42574, "Trojan Source"); a display name has no use for them.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
NAME_RULE = (
    "Display name, 1..200 characters, stored in Unicode NFC. Refused when it contains "
    "control characters or bidi embedding/override/isolate characters (U+202A..U+202E, "
    "U+2066..U+2069), or when nothing is left after removing white space and format "
    "characters (Unicode category Cf, e.g. U+200B)."
)


def _visible_name(value: str) -> str:
    """NFC form of a name that shows something on screen (bounded: at most 200 characters in)."""
    name = unicodedata.normalize("NFC", value)
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"must be at most {MAX_NAME_LENGTH} characters in NFC form")
    if any(char in _BIDI_CONTROLS for char in name):
        raise ValueError("must not contain bidi embedding, override or isolate characters")
    if all(char.isspace() or unicodedata.category(char) == "Cf" for char in name):
        raise ValueError("must contain a visible character (not only spaces or format characters)")
    return name


UserId = Annotated[
    int,
    Field(ge=1, le=MAX_USER_ID, strict=True, description="Client-chosen id, 1..2^63-1."),
]
UserName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_NAME_LENGTH, pattern=NAME_PATTERN),
    AfterValidator(_visible_name),
    Field(strict=True, description=NAME_RULE),
]


class UserCreate(BaseModel):
    """Body of POST /users."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    id: UserId
    name: UserName


class UserReplace(BaseModel):
    """Body of PUT /users/{id}; an `id`, when given, must equal the one in the path."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    id: UserId | None = None
    name: UserName


@dataclass(frozen=True, slots=True)
class User:
    """A stored user, as every endpoint returns it."""

    id: Annotated[int, Field(ge=1, le=MAX_USER_ID)]
    name: Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH)]
    created_at: Annotated[
        datetime | None,
        Field(
            description="Set by the server at creation (UTC); null when the stored user has "
            "no usable creation time (written by another tool)."
        ),
    ]
    updated_at: Annotated[
        datetime | None,
        Field(
            description="Set by the server at each change (UTC); null when the stored user has "
            "no usable change time (written by another tool)."
        ),
    ]


@dataclass(frozen=True, slots=True)
class Revision:
    """One state of a stored user, as an ETag names it.

    The creation time tells a user deleted and created again (whose version
    starts over at 1) from the one a client saw; it is None when unknown.
    """

    version: int
    created_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredUser:
    """A user and its version: the count of writes, which every write increments atomically.

    Users stored before versions existed have version 0 until their next write.
    """

    user: User
    version: int

    @property
    def revision(self) -> Revision:
        """The state an ETag of this response names."""
        return Revision(version=self.version, created_at=self.user.created_at)


@dataclass(frozen=True, slots=True)
class UserPage:
    """One page of GET /users, ordered by id; pass `next_after` as `after` for the next page."""

    items: list[User]
    next_after: Annotated[
        int | None, Field(description="The `after` value of the next page; null on the last.")
    ]
