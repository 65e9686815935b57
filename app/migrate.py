"""`python -m app.migrate [--dry-run]`: move users from the tutorial's layout into the service's.

Reads the same environment as the service (MONGODB_URI, MONGODB_DATABASE,
MONGODB_TIMEOUT_SECONDS, LOG_FORMAT). Prints one `tutorial_migration_finished`
log line with the counts; exit 0 when every document was looked at (conflicts
and invalid documents are counted, left for a human, and are not a failure),
1 when the database failed, 2 on a bad configuration or command line.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import asdict
from datetime import UTC
from typing import Any

import structlog
from pydantic import ValidationError
from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from app import __version__
from app.observability.logging import configure_logging
from app.settings import Settings, describe_errors
from app.users.migration import migrate_tutorial_users
from app.users.repository import COLLECTION

logger = structlog.get_logger("app.migrate")


async def run(settings: Settings, *, dry_run: bool) -> int:
    """Migrate the configured database's users collection; the exit code."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongodb_uri.get_secret_value(),
        appname=f"users-api-migrate/{__version__}",
        timeoutMS=int(settings.mongodb_timeout_seconds * 1000),
        tz_aware=True,
        tzinfo=UTC,
    )
    try:
        collection = client[settings.mongodb_database][COLLECTION]
        report = await migrate_tutorial_users(collection, dry_run=dry_run)
    except PyMongoError as error:
        logger.error("tutorial_migration_failed", error=type(error).__name__, detail=str(error))  # noqa: TRY400 - the reason, not a traceback
        return 1
    finally:
        await client.close()
    logger.info("tutorial_migration_finished", database=settings.mongodb_database, **asdict(report))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and the environment, then run."""
    parser = argparse.ArgumentParser(prog="python -m app.migrate", description=__doc__)
    parser.add_argument("--dry-run", action="store_true", help="count only; write nothing")
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        print(describe_errors(error), file=sys.stderr)  # noqa: T201 - logging is not set up yet
        return 2
    configure_logging(level=settings.log_level, log_format=settings.log_format)
    return asyncio.run(run(settings, dry_run=args.dry_run))


if __name__ == "__main__":
    sys.exit(main())
