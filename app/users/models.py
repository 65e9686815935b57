"""Pydantic models per direction (create, replace) and the public shapes returned to clients."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime  # noqa: TC003 - pydantic reads the annotations at run time
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

MAX_USER_ID = 2**63 - 1  # the largest BSON int64, so every id fits MongoDB's native integer
MAX_NAME_LENGTH = 200
# Control characters (C0, DEL, C1) corrupt logs and terminals downstream.
NAME_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"

UserId = Annotated[
    int,
    Field(ge=1, le=MAX_USER_ID, strict=True, description="Client-chosen id, 1..2^63-1."),
]
UserName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_NAME_LENGTH, pattern=NAME_PATTERN),
    Field(strict=True, description="Display name, 1..200 characters, no control characters."),
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
    created_at: Annotated[datetime, Field(description="Set by the server at creation (UTC).")]
    updated_at: Annotated[datetime, Field(description="Set by the server at each change (UTC).")]


@dataclass(frozen=True, slots=True)
class UserPage:
    """One page of GET /users, ordered by id; pass `next_after` as `after` for the next page."""

    items: list[User]
    next_after: Annotated[
        int | None, Field(description="The `after` value of the next page; null on the last.")
    ]
