"""A bounded load run inside a pod against the release's Service (stdlib only).

Passed to `python -c` in a pod of the app image: argv is BASE_URL WORKERS
MAX_REQUESTS_PER_WORKER FIRST_ID. Each worker alternately creates a user and
reads it back over a fresh connection per request, until /tmp/stop exists or
it has sent its maximum; then one JSON line reports the counts, the first
failures and the ids of the users whose creation was acknowledged. Every call
carries the pod's projected ServiceAccount token, read from its file each time
(the kubelet rotates it), as the chart's default authentication expects.

A 503 problem with Retry-After is the service saying "not now, try again" (a
database call that timed out, a shed request): the worker retries it after
Retry-After, as a client of the API should, and reports how many it retried and
their problem types, so a rollout that needs retries is visible in the figures.
A create retried after a 503 may find its own user already written (the timed-out
call reached the database): 409 then counts as acknowledged, and the read-back
that follows proves the user is there.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

# Created by the test (kubectl exec) when the rollout is over; the pod is the load's own.
STOP_FILE = Path("/tmp/stop")  # noqa: S108
TOKEN_FILE = Path("/var/run/secrets/users-api/token")


RETRIES = 5


def request(method: str, url: str, body: bytes | None) -> tuple[int, str, float]:
    """(status, problem type or "", Retry-After seconds or 0) of one call."""
    token = TOKEN_FILE.read_text().strip()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    call = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(call, timeout=10) as response:  # noqa: S310 - http
            response.read()
            return int(response.status), "", 0.0
    except urllib.error.HTTPError as error:
        try:
            problem_type = str(json.loads(error.read()).get("type", ""))
        except ValueError:
            problem_type = ""
        return int(error.code), problem_type, float(error.headers.get("Retry-After") or 0)


def request_retrying(
    method: str, url: str, body: bytes | None, retried: list[object]
) -> tuple[int, bool]:
    """(final status, whether a 503 was retried); 503s with Retry-After are retried."""
    for _ in range(RETRIES):
        status, problem_type, retry_after = request(method, url, body)
        if status != 503 or retry_after <= 0:
            return status, bool(retried)
        retried.append(problem_type.rsplit("/", 1)[-1] or "untyped")
        time.sleep(min(retry_after, 2.0))
    return status, True


def worker(base: str, first_id: int, limit: int, report: dict[str, list[object]]) -> None:
    for number in range(limit):
        if STOP_FILE.exists():
            return
        user_id = first_id + number // 2
        try:
            retried: list[object] = []
            if number % 2 == 0:
                body = json.dumps({"id": user_id, "name": f"load-{user_id}"}).encode()
                status, was_retried = request_retrying("POST", f"{base}/users", body, retried)
                expected = 201
                if status == 409 and was_retried:
                    status = 201  # our own create, acknowledged late; the GET below checks it
            else:
                status, _ = request_retrying("GET", f"{base}/users/{user_id}", None, retried)
                expected = 200
            report["retried_503"].extend(retried)
        except OSError as error:
            status, expected = -1, 0
            report["failures"].append(f"{type(error).__name__}: {error}")
        report["statuses"].append(status)
        if status == expected and number % 2 == 0:
            report["created"].append(user_id)
        elif status not in {expected, -1}:
            report["failures"].append(f"{number}: HTTP {status}")
        time.sleep(0.02)


def main() -> None:
    base, workers, limit, first_id = (
        sys.argv[1],
        int(sys.argv[2]),
        int(sys.argv[3]),
        int(sys.argv[4]),
    )
    reports: list[dict[str, list[object]]] = []
    threads = []
    for index in range(workers):
        report: dict[str, list[object]] = {
            "statuses": [],
            "failures": [],
            "created": [],
            "retried_503": [],
        }
        reports.append(report)
        thread = threading.Thread(
            target=worker, args=(base, first_id + index * limit, limit, report)
        )
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    failures = [failure for report in reports for failure in report["failures"]]
    summary = {
        "requests": sum(len(report["statuses"]) for report in reports),
        "failed": len(failures),
        "first_failures": failures[:10],
        "retried_503": sorted({str(kind) for report in reports for kind in report["retried_503"]}),
        "retried_503_count": sum(len(report["retried_503"]) for report in reports),
        "created": [user for report in reports for user in report["created"]],
    }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
