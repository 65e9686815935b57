"""The database limit: a raw PyMongo async loop doing the service's own database call.

`run_driver()` runs this module in a child process (its own uvloop event loop,
like the service) at the same concurrency, against the same database, for the
same duration, with the client options the service uses.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import random
import subprocess
import sys
from datetime import UTC, datetime
from time import perf_counter, process_time
from typing import TYPE_CHECKING, Any

import uvloop
from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from bench.database import REPO
from bench.measurement import Measurement
from bench.seed import USERS_COLLECTION
from bench.stats import percentile

if TYPE_CHECKING:
    from pymongo.asynchronous.collection import AsyncCollection

    Collection = AsyncCollection[dict[str, Any]]

OPERATIONS = ("find_one", "find_page", "insert_one")
PAGE_SIZE = 50
URI_ENV = "BENCH_MONGODB_URI"  # not argv: a URI may carry credentials
WORKER_SLOT = 100_000_000
RESULT_PREFIX = "BENCH_RESULT "


@dataclasses.dataclass(frozen=True, slots=True)
class Workload:
    """One raw-driver run: which call, how many concurrent callers, for how long."""

    operation: str
    concurrency: int
    seconds: float
    users: int
    id_base: int


async def _call(collection: Collection, operation: str, *, users: int, new_id: int) -> None:
    if operation == "find_one":
        await collection.find_one({"_id": random.randint(1, users)})  # noqa: S311
    elif operation == "find_page":
        # What GET /users?limit=50 asks: one extra document says whether more follow.
        after = random.randint(0, users - PAGE_SIZE)  # noqa: S311
        cursor = collection.find({"_id": {"$gt": after}}).sort("_id", 1)
        await cursor.limit(PAGE_SIZE + 1).to_list()
    else:
        now = datetime.now(UTC)
        document = {"_id": new_id, "name": f"bench user {new_id}"}
        await collection.insert_one({**document, "created_at": now, "updated_at": now})


async def _worker(
    collection: Collection, workload: Workload, *, index: int, deadline: float, into: list[float]
) -> int:
    """Call until the deadline, appending each call's latency; the number of failed calls."""
    errors = 0
    new_id = workload.id_base + index * WORKER_SLOT
    while perf_counter() < deadline:
        new_id += 1
        started = perf_counter()
        try:
            await _call(collection, workload.operation, users=workload.users, new_id=new_id)
        except PyMongoError:
            errors += 1
        into.append(perf_counter() - started)
    return errors


async def measure(uri: str, database: str, workload: Workload) -> dict[str, float]:
    """Run `concurrency` workers until the deadline; counts and latency percentiles."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        uri, timeoutMS=2000, maxPoolSize=100, tz_aware=True, tzinfo=UTC
    )
    try:
        collection = client[database][USERS_COLLECTION]
        # Open the pool's connections before the clock starts, as a warm service has.
        for _ in range(2):
            await asyncio.gather(
                *(collection.find_one({"_id": 1}) for _ in range(workload.concurrency)),
                return_exceptions=True,
            )
        latencies: list[float] = []
        cpu_started = process_time()
        started = perf_counter()
        deadline = started + workload.seconds
        errors = await asyncio.gather(
            *(
                _worker(collection, workload, index=index, deadline=deadline, into=latencies)
                for index in range(workload.concurrency)
            )
        )
        elapsed = perf_counter() - started
        cpu = process_time() - cpu_started
    finally:
        await client.close()
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "errors": sum(errors),
        "cpu_ms_per_request": cpu * 1000 / max(len(latencies), 1),
        "p50_ms": percentile(latencies, 50) * 1000,
        "p90_ms": percentile(latencies, 90) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }


def run_driver(*, uri: str, database: str, workload: Workload) -> Measurement:
    """Run the loop in a child process and return its measurement."""
    argv = [
        sys.executable,
        "-m",
        "bench.driver_limit",
        database,
        json.dumps(dataclasses.asdict(workload)),
    ]
    env = {**os.environ, URI_ENV: uri, "PYTHONPATH": str(REPO)}
    completed = subprocess.run(  # noqa: S603 - argv built here
        argv, capture_output=True, text=True, env=env, timeout=workload.seconds + 60, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"raw {workload.operation} failed:\n{completed.stderr}")
    line = next(line for line in completed.stdout.splitlines() if line.startswith(RESULT_PREFIX))
    result = json.loads(line.removeprefix(RESULT_PREFIX))
    return Measurement(
        scenario=f"raw {workload.operation}",
        concurrency=workload.concurrency,
        requests=int(result["requests"]),
        seconds=float(result["seconds"]),
        p50_ms=float(result["p50_ms"]),
        p90_ms=float(result["p90_ms"]),
        p99_ms=float(result["p99_ms"]),
        errors=int(result["errors"]),
        cpu_ms_per_request=float(result["cpu_ms_per_request"]),
    )


def main() -> int:
    """Child process: `python -m bench.driver_limit DATABASE WORKLOAD_JSON`; one result line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("database")
    parser.add_argument("workload", type=lambda text: Workload(**json.loads(text)))
    args = parser.parse_args()
    if args.workload.operation not in OPERATIONS:
        parser.error(f"operation must be one of {OPERATIONS}")
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        result = runner.run(measure(os.environ[URI_ENV], args.database, args.workload))
    print(RESULT_PREFIX + json.dumps(result))  # noqa: T201 - the parent parses stdout
    return 0


if __name__ == "__main__":
    sys.exit(main())
