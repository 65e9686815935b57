"""A `$jsonSchema` validator on the users collection: other writers cannot store the unservable.

Applied at start-up in the background (never delaying readiness, retrying
while the database is down) and idempotent: `create` with the validator for a
new collection, `collMod` for an existing one, same document every time.
`validationLevel: moderate` leaves documents that are already invalid
updatable, so a PUT can still repair them (documents.py serves what it can).
Outcomes are logged once: applied, not permitted (collMod needs dbAdmin; the
bundled MongoDB's app user has readWrite, which can create a collection with
a validator but not modify one), or unsupported by the server (FerretDB
v1.24.2 answers NotImplemented to both `validator` on create and collMod).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any, Literal

import structlog
from pymongo.errors import OperationFailure, PyMongoError

from app import keys
from app.users.models import MAX_NAME_LENGTH, MAX_USER_ID, NAME_PATTERN
from app.users.repository import COLLECTION

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from aiohttp import web
    from pymongo.asynchronous.database import AsyncDatabase

logger = structlog.get_logger("app.users")

Outcome = Literal["applied", "not_permitted", "unsupported"]
_NAMESPACE_EXISTS = 48
_UNAUTHORIZED = 13
_UNSUPPORTED = frozenset({59, 115, 238})  # CommandNotFound, CommandNotSupported, NotImplemented
_RETRY_SECONDS = (1, 2, 5, 10, 30)

USER_VALIDATOR: dict[str, Any] = {
    "$jsonSchema": {
        "bsonType": "object",
        "required": ["_id", "name", "created_at", "updated_at", "version"],
        "properties": {
            "_id": {"bsonType": ["int", "long"], "minimum": 1, "maximum": MAX_USER_ID},
            "name": {
                "bsonType": "string",
                "minLength": 1,
                "maxLength": MAX_NAME_LENGTH,
                "pattern": NAME_PATTERN,
            },
            "created_at": {"bsonType": "date"},
            "updated_at": {"bsonType": "date"},
            "version": {"bsonType": ["int", "long"], "minimum": 0},
        },
    }
}
_OPTIONS: dict[str, Any] = {
    "validator": USER_VALIDATOR,
    "validationLevel": "moderate",
    "validationAction": "error",
}


async def apply_validator(database: AsyncDatabase[dict[str, Any]]) -> Outcome:
    """Create the collection with the validator, or set it on the existing one.

    Raises PyMongoError when the database cannot be reached (callers retry).
    """
    try:
        try:
            await database.create_collection(COLLECTION, **_OPTIONS)
        except OperationFailure as error:
            if error.code != _NAMESPACE_EXISTS:
                raise
            await database.command("collMod", COLLECTION, **_OPTIONS)
    except OperationFailure as error:
        if error.code in _UNSUPPORTED:
            return "unsupported"
        if error.code == _UNAUTHORIZED:
            return "not_permitted"
        raise
    return "applied"


async def _apply_until_answered(database: AsyncDatabase[dict[str, Any]]) -> None:
    for attempt in range(1_000_000):
        try:
            outcome = await apply_validator(database)
        except PyMongoError as error:
            delay = _RETRY_SECONDS[min(attempt, len(_RETRY_SECONDS) - 1)]
            logger.info("collection_validator_retry", error=type(error).__name__, in_seconds=delay)
            await asyncio.sleep(delay)
            continue
        log = logger.info if outcome == "applied" else logger.warning
        log("collection_validator", collection=COLLECTION, outcome=outcome)
        return


async def collection_validator_context(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: apply the validator in the background; cancel it on shutdown."""
    database = app[keys.MONGO_CLIENT][app[keys.SETTINGS].mongodb_database]
    task = asyncio.create_task(_apply_until_answered(database), name="collection-validator")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
