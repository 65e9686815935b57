"""`python -m app.migrate` on a collection seeded the way the tutorial wrote it."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any

from app.users.migration import MigrationReport, migrate_tutorial_users
from tests.api.stored import complete
from tests.support.tiers import REPO_ROOT

if TYPE_CHECKING:
    from pymongo.asynchronous.collection import AsyncCollection

    from app.settings import Settings
    from tests.api.stored import Document
    from tests.support.client import AppClient


async def seed_the_tutorial_way(users: AsyncCollection[Document]) -> None:
    """insert_one({"id": N, "name": ...}) as the tutorial did: the driver adds an ObjectId _id."""
    for document in (
        {"id": 2, "name": "Alice"},
        {"id": 3, "name": "Bob"},
        {"id": 4, "name": "Carol"},
        {"id": 4, "name": "Carole"},  # two documents, one id: a human decides
        {"id": 5, "name": "Dan"},  # the service already holds a different user 5
        {"id": "six", "name": "Eve"},  # not an id the API can serve
    ):
        await users.insert_one(document, bypass_document_validation=True)
    await users.insert_one(complete(5, name="Someone else"), bypass_document_validation=True)


async def counts(users: AsyncCollection[Document]) -> tuple[int, int]:
    tutorial = await users.count_documents({"_id": {"$type": "objectId"}})
    return tutorial, await users.count_documents({}) - tutorial


async def test_tutorial_users_are_invisible_until_migrated_then_served(
    client: AppClient, users: AsyncCollection[Document]
) -> None:
    await seed_the_tutorial_way(users)
    assert (await client.get("/users/2")).status == 404

    report = await migrate_tutorial_users(users, dry_run=False)

    assert report == MigrationReport(dry_run=False, migrated=2, conflicts=3, invalid=1)
    alice = await client.get("/users/2")
    assert alice.status == 200
    body = await alice.json()
    assert body["name"] == "Alice"
    assert body["created_at"] is not None
    assert "ETag" in alice.headers
    page = await (await client.get("/users")).json()
    assert [user["id"] for user in page["items"]] == [2, 3, 5]
    assert (await (await client.get("/users/5")).json())["name"] == "Someone else"
    assert await counts(users) == (4, 3)  # the conflicts and the invalid one stay


async def test_dry_run_counts_and_writes_nothing(users: AsyncCollection[Document]) -> None:
    await seed_the_tutorial_way(users)
    before = await users.find({}).sort("name", 1).to_list()
    report = await migrate_tutorial_users(users, dry_run=True)
    assert report == MigrationReport(dry_run=True, migrated=2, conflicts=3, invalid=1)
    assert await users.find({}).sort("name", 1).to_list() == before


async def test_second_run_changes_nothing_and_an_interrupted_run_is_finished(
    users: AsyncCollection[Document],
) -> None:
    await seed_the_tutorial_way(users)
    # As if an earlier run had inserted Alice's copy and stopped before deleting the original.
    await users.insert_one(
        {**complete(2, name="Alice"), "version": 1}, bypass_document_validation=True
    )

    first = await migrate_tutorial_users(users, dry_run=False)
    second = await migrate_tutorial_users(users, dry_run=False)

    assert first == MigrationReport(dry_run=False, migrated=1, resumed=1, conflicts=3, invalid=1)
    assert second == MigrationReport(dry_run=False, conflicts=3, invalid=1)
    assert await counts(users) == (4, 3)


async def test_command_line_dry_run_prints_the_counts(
    settings: Settings, users: AsyncCollection[Document]
) -> None:
    await seed_the_tutorial_way(users)
    env = {
        "MONGODB_URI": settings.mongodb_uri.get_secret_value(),
        "MONGODB_DATABASE": settings.mongodb_database,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app.migrate",
        "--dry-run",
        cwd=REPO_ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(60):
        stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr
    lines: list[dict[str, Any]] = [json.loads(line) for line in stdout.splitlines()]
    summary = lines[-1]
    assert summary["event"] == "tutorial_migration_finished"
    assert (summary["dry_run"], summary["migrated"], summary["conflicts"]) == (True, 2, 3)
    assert await counts(users) == (6, 1)
