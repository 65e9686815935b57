"""Persistence of users in MongoDB: the only module that speaks PyMongo.

The user id is stored as `_id`, the natural key: unique and indexed by
MongoDB for free, so uniqueness under concurrent creates costs nothing extra.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import UTC, datetime
from time import perf_counter
from typing import TYPE_CHECKING, Any

from pymongo import ReturnDocument
from pymongo.errors import (
    ConnectionFailure,
    DuplicateKeyError,
    ExecutionTimeout,
    OperationFailure,
    PyMongoError,
    WTimeoutError,
)

from app import keys
from app.errors import DatabaseUnavailable, UserExists, UserNotFound
from app.users.models import User, UserCreate, UserPage, UserReplace

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from aiohttp import web
    from pymongo.asynchronous.collection import AsyncCollection

Document = dict[str, Any]
COLLECTION = "users"

# Server states that pass by themselves: shutdown, step-down, election.
_TRANSIENT_CODES = frozenset({91, 189, 262, 10107, 11600, 11602, 13435, 13436})


def is_transient(error: PyMongoError) -> bool:
    """Whether the error means 'the database is unavailable right now' (503, retry later)."""
    if isinstance(error, ConnectionFailure | ExecutionTimeout | WTimeoutError) or error.timeout:
        return True
    return isinstance(error, OperationFailure) and error.code in _TRANSIENT_CODES


def _now() -> datetime:
    # BSON dates hold milliseconds; truncate so a response equals a later read.
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _to_user(document: Document) -> User:
    return User(
        id=document["_id"],
        name=document["name"],
        created_at=document["created_at"],
        updated_at=document["updated_at"],
    )


class UserRepository:
    """CRUD on the users collection, raising domain errors instead of driver errors."""

    def __init__(
        self,
        collection: AsyncCollection[Document],
        *,
        record_operation: Callable[[str, str, float], None],
    ) -> None:
        self._collection = collection
        self._record_operation = record_operation

    @asynccontextmanager
    async def _operation(self, name: str) -> AsyncIterator[None]:
        """Time one driver call by outcome, and turn outages into DatabaseUnavailable."""
        started = perf_counter()
        outcome = "error"
        try:
            yield
            outcome = "success"
        except DuplicateKeyError:
            outcome = "duplicate_key"
            raise
        except PyMongoError as error:
            if not is_transient(error):
                raise
            outcome = "unavailable"
            raise DatabaseUnavailable from error
        finally:
            self._record_operation(name, outcome, perf_counter() - started)

    async def create(self, user: UserCreate) -> User:
        """Insert a new user; UserExists if the id is taken."""
        now = _now()
        document = {"_id": user.id, "name": user.name, "created_at": now, "updated_at": now}
        try:
            async with self._operation("insert_one"):
                await self._collection.insert_one(document)
        except DuplicateKeyError:
            raise UserExists(user.id) from None
        return User(id=user.id, name=user.name, created_at=now, updated_at=now)

    async def get(self, user_id: int) -> User:
        """The user with that id; UserNotFound if absent."""
        async with self._operation("find_one"):
            document = await self._collection.find_one({"_id": user_id})
        if document is None:
            raise UserNotFound(user_id)
        return _to_user(document)

    async def list_page(self, *, after: int | None, limit: int) -> UserPage:
        """Up to `limit` users with ids above `after`, in id order (keyset pagination)."""
        query = {} if after is None else {"_id": {"$gt": after}}
        # One extra document tells whether another page exists, so the last
        # page says so (next_after null) instead of costing an empty request.
        async with self._operation("find"):
            cursor = self._collection.find(query).sort("_id", 1).limit(limit + 1)
            documents = await cursor.to_list()
        users = [_to_user(document) for document in documents[:limit]]
        next_after = users[-1].id if len(documents) > limit else None
        return UserPage(items=users, next_after=next_after)

    async def replace(self, user_id: int, user: UserReplace) -> User:
        """Replace the user's name; UserNotFound if absent."""
        async with self._operation("find_one_and_update"):
            document = await self._collection.find_one_and_update(
                {"_id": user_id},
                {"$set": {"name": user.name, "updated_at": _now()}},
                return_document=ReturnDocument.AFTER,
            )
        if document is None:
            raise UserNotFound(user_id)
        return _to_user(document)

    async def delete(self, user_id: int) -> None:
        """Delete the user; UserNotFound if absent."""
        async with self._operation("delete_one"):
            result = await self._collection.delete_one({"_id": user_id})
        if result.deleted_count == 0:
            raise UserNotFound(user_id)


async def user_repository_context(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context, after the client's: the repository on the configured database."""
    database = app[keys.MONGO_CLIENT][app[keys.SETTINGS].mongodb_database]
    app[keys.USERS] = UserRepository(
        database[COLLECTION], record_operation=app[keys.METRICS].operation_recorder()
    )
    yield
