"""Moving users from the tutorial's layout into the service's (run by `python -m app.migrate`).

The tutorial this service grew from stored `{_id: ObjectId, id: N, name: ...}`;
the service keys users by `_id: N`. Each tutorial document is converted on
its own (insert the new document, then delete the old one), so the command
is idempotent and resumable: a run that stops half-way is finished by the
next one, which recognises a copy it already made by its id and name.
Documents a human must decide about are counted and left untouched:
conflicts (an id shared by two tutorial documents, or already held by a
different user) and invalid ones (an id or name the API could not serve).
Like the repository, this module speaks PyMongo; it is a management command,
not a request path.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pymongo.errors import DuplicateKeyError

from app.users.documents import Document, Unusable, decode, integral
from app.users.models import MAX_USER_ID

if TYPE_CHECKING:
    from datetime import datetime

    from bson import ObjectId
    from pymongo.asynchronous.collection import AsyncCollection

# The tutorial's documents: an ObjectId key and the user's id in a field of its own.
TUTORIAL_LAYOUT: Document = {"_id": {"$type": "objectId"}, "id": {"$exists": True}}


@dataclass(slots=True)
class MigrationReport:
    """What a run did (or, with dry_run, would do), document by document."""

    dry_run: bool
    migrated: int = 0  # converted into the service's layout
    resumed: int = 0  # a copy existed already (an interrupted run): only the old one removed
    conflicts: int = 0  # left untouched: the id is shared, or held by a different user
    invalid: int = 0  # left untouched: the id or name is not one the API can serve


def _converted(document: Document) -> Document | None:
    """The tutorial document in the service's layout, or None if it is not servable."""
    oid: ObjectId = document["_id"]
    # The tutorial kept no timestamps; the ObjectId holds the creation second.
    created: datetime = oid.generation_time
    candidate = {
        "_id": integral(document.get("id"), minimum=1, maximum=MAX_USER_ID),
        "name": document.get("name"),
        "created_at": created,
        "updated_at": created,
        "version": 1,
    }
    return None if isinstance(decode(candidate), Unusable) else candidate


async def _shared_ids(collection: AsyncCollection[Document]) -> set[int]:
    """Ids that more than one tutorial document claims."""
    counts: Counter[int] = Counter()
    async for document in collection.find(TUTORIAL_LAYOUT, {"id": 1}):
        user_id = integral(document.get("id"), minimum=1, maximum=MAX_USER_ID)
        if user_id is not None:
            counts[user_id] += 1
    return {user_id for user_id, count in counts.items() if count > 1}


async def migrate_tutorial_users(
    collection: AsyncCollection[Document], *, dry_run: bool
) -> MigrationReport:
    """Convert every tutorial document that can be converted; count the rest."""
    report = MigrationReport(dry_run=dry_run)
    shared = await _shared_ids(collection)
    async for document in collection.find(TUTORIAL_LAYOUT).sort("_id", 1):
        converted = _converted(document)
        if converted is None:
            report.invalid += 1
            continue
        if converted["_id"] in shared:
            report.conflicts += 1
            continue
        existing = await collection.find_one({"_id": converted["_id"]})
        if existing is None and not dry_run:
            try:
                await collection.insert_one(converted)
            except DuplicateKeyError:  # another writer took the id meanwhile
                existing = await collection.find_one({"_id": converted["_id"]})
        if existing is not None and existing.get("name") != converted["name"]:
            report.conflicts += 1
            continue
        if existing is None:
            report.migrated += 1
        else:
            report.resumed += 1
        if not dry_run:
            await collection.delete_one({"_id": document["_id"]})
    return report
