"""Persistence of users in MongoDB: the only module that speaks PyMongo.

The user id is stored as `_id`, the natural key: unique and indexed by
MongoDB for free, so uniqueness under concurrent creates costs nothing extra.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, asynccontextmanager, nullcontext
from datetime import UTC, datetime
from time import perf_counter
from typing import TYPE_CHECKING, NoReturn

from bson import Int64
from bson.codec_options import CodecOptions, DatetimeConversion
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
from app.errors import (
    DatabaseUnavailable,
    PreconditionFailed,
    StoredUserUnusable,
    UserExists,
    UserNotFound,
)
from app.users.documents import Document, Unusable, UnusableDocuments, decode, integral
from app.users.models import (
    MAX_USER_ID,
    Revision,
    StoredUser,
    User,
    UserCreate,
    UserPage,
    UserReplace,
)
from app.users.write_order import WriteOrder

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Sequence

    from aiohttp import web
    from pymongo.asynchronous.collection import AsyncCollection

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


# Dates beyond Python's datetime decode as bson.DatetimeMS instead of failing
# the whole cursor, so one odd document cannot break a page (documents.py).
_CODEC_OPTIONS: CodecOptions[Document] = CodecOptions(
    document_class=dict,
    tz_aware=True,
    tzinfo=UTC,
    datetime_conversion=DatetimeConversion.DATETIME_AUTO,
)
# MongoDB's TypeMismatch: `$inc` on a version field that is not a number.
_TYPE_MISMATCH = 14


def _page_filter(after: int | None) -> Document:
    """Ids above `after` that are integers 1..2^63-1, whatever their BSON number type.

    `$gt` on a number matches numbers only (BSON type bracketing), so ObjectId,
    string and binary ids never enter a page; `$bitsAllClear: 0` matches only
    numbers that are exactly 64-bit integers, dropping fractions, NaN and
    infinities, so `next_after` is always an integer a client can send back.
    `$gt` comes first: FerretDB evaluates the operators in order.
    """
    return {"_id": {"$gt": after or 0, "$lte": Int64(MAX_USER_ID), "$bitsAllClear": 0}}


def _revision_filter(revision: Revision) -> Document:
    # Users stored before versions existed have no field: version 0 matches them.
    version: object = {"$in": [0, None]} if revision.version == 0 else revision.version
    condition: Document = {"version": version}
    if revision.created_at is not None:
        condition["created_at"] = revision.created_at
    return condition


def _write_filter(user_id: int, if_match: Sequence[Revision] | None) -> Document:
    """The user, and when If-Match was given, only in one of the named revisions."""
    if if_match is None:
        return {"_id": user_id}
    return {"_id": user_id, "$or": [_revision_filter(revision) for revision in if_match]}


class UserRepository:
    """CRUD on the users collection, raising domain errors instead of driver errors."""

    def __init__(
        self,
        collection: AsyncCollection[Document],
        *,
        record_operation: Callable[[str, str, float], None],
        unusable: UnusableDocuments,
        admit: Callable[[], AbstractContextManager[None]] = nullcontext,
    ) -> None:
        self._collection = collection.with_options(codec_options=_CODEC_OPTIONS)
        self._record_operation = record_operation
        self._unusable = unusable
        self._admit = admit
        self._write_order = WriteOrder()

    @asynccontextmanager
    async def _operation(self, name: str) -> AsyncIterator[None]:
        """Admit, time by outcome, and turn outages into DatabaseUnavailable, one driver call."""
        with self._admit():
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

    def _served(self, user_id: int, document: Document) -> StoredUser:
        decoded = decode(document)
        if isinstance(decoded, Unusable):
            self._unusable.report(document.get("_id"), decoded)
            raise StoredUserUnusable(user_id, decoded.field)
        return decoded

    async def create(self, user: UserCreate) -> StoredUser:
        """Insert a new user at version 1; UserExists if the id is taken."""
        now = _now()
        document = {
            "_id": user.id,
            "name": user.name,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        try:
            async with self._operation("insert_one"):
                await self._collection.insert_one(document)
        except DuplicateKeyError:
            raise UserExists(user.id) from None
        return StoredUser(User(id=user.id, name=user.name, created_at=now, updated_at=now), 1)

    async def get(self, user_id: int) -> StoredUser:
        """The user with that id; UserNotFound if absent, StoredUserUnusable if unservable."""
        async with self._operation("find_one"):
            document = await self._collection.find_one({"_id": user_id})
        if document is None:
            raise UserNotFound(user_id)
        return self._served(user_id, document)

    async def list_page(self, *, after: int | None, limit: int) -> UserPage:
        """Up to `limit` users with ids above `after`, in id order (keyset pagination).

        Unusable documents are skipped, so a page may hold fewer than `limit`
        users while `next_after` still says another page follows.
        """
        # One extra document tells whether another page exists, so the last
        # page says so (next_after null) instead of costing an empty request.
        async with self._operation("find"):
            cursor = self._collection.find(_page_filter(after)).sort("_id", 1).limit(limit + 1)
            documents = await cursor.to_list()
        users = []
        for document in documents[:limit]:
            decoded = decode(document)
            if isinstance(decoded, Unusable):
                self._unusable.report(document.get("_id"), decoded)
            else:
                users.append(decoded.user)
        next_after = None
        if len(documents) > limit:
            # The filter admits only integral ids, so the last scanned id is one.
            next_after = integral(documents[limit - 1]["_id"], minimum=1, maximum=MAX_USER_ID)
        return UserPage(items=users, next_after=next_after)

    async def replace(
        self, user_id: int, user: UserReplace, *, if_match: Sequence[Revision] | None = None
    ) -> StoredUser:
        """Set the name and bump the version in one atomic write.

        With `if_match`, only a user in one of those revisions is written
        (PreconditionFailed otherwise): the check is the write's own filter.
        """
        if if_match == []:  # only tags that can never match (weak, foreign, empty)
            await self._raise_missing_or_changed(user_id, conditional=True)
        try:
            async with self._write_order.hold(user_id), self._operation("find_one_and_update"):
                document = await self._collection.find_one_and_update(
                    _write_filter(user_id, if_match),
                    {"$set": {"name": user.name, "updated_at": _now()}, "$inc": {"version": 1}},
                    return_document=ReturnDocument.AFTER,
                )
        except OperationFailure as error:
            if error.code != _TYPE_MISMATCH:
                raise
            # The update failed as a whole: nothing was written.
            raise StoredUserUnusable(user_id, "version") from None
        if document is None:
            await self._raise_missing_or_changed(user_id, conditional=if_match is not None)
        return self._served(user_id, document)

    async def delete(self, user_id: int, *, if_match: Sequence[Revision] | None = None) -> None:
        """Delete the user (only in one of the `if_match` revisions, when given)."""
        if if_match == []:
            await self._raise_missing_or_changed(user_id, conditional=True)
        async with self._write_order.hold(user_id), self._operation("delete_one"):
            result = await self._collection.delete_one(_write_filter(user_id, if_match))
        if result.deleted_count == 0:
            await self._raise_missing_or_changed(user_id, conditional=if_match is not None)

    async def _raise_missing_or_changed(self, user_id: int, *, conditional: bool) -> NoReturn:
        """After a write matched nothing: 404 if the user is absent, else 412."""
        if conditional:
            async with self._operation("find_one"):
                exists = await self._collection.find_one({"_id": user_id}, {"_id": 1})
            if exists is not None:
                raise PreconditionFailed(user_id)
        raise UserNotFound(user_id)


async def user_repository_context(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context, after the client's: the repository on the configured database."""
    database = app[keys.MONGO_CLIENT][app[keys.SETTINGS].mongodb_database]
    metrics = app[keys.METRICS]
    app[keys.USERS] = UserRepository(
        database[COLLECTION],
        record_operation=metrics.operation_recorder(),
        unusable=UnusableDocuments(count=metrics.unusable_document_counter()),
        admit=app[keys.ADMISSION].admit,
    )
    yield
