"""A bounded load run inside a pod against the release's Service (stdlib only).

Passed to `python -c` in a pod of the app image: argv is BASE_URL WORKERS
MAX_REQUESTS_PER_WORKER FIRST_ID. Each worker alternately creates a user and
reads it back over a fresh connection per request, until /tmp/stop exists or
it has sent its maximum; then one JSON line reports the counts, the first
failures and the ids of the users whose creation was acknowledged.
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


def request(method: str, url: str, body: bytes | None) -> int:
    headers = {"Content-Type": "application/json"}
    call = urllib.request.Request(url, data=body, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(call, timeout=10) as response:  # noqa: S310 - http
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def worker(base: str, first_id: int, limit: int, report: dict[str, list[object]]) -> None:
    for number in range(limit):
        if STOP_FILE.exists():
            return
        user_id = first_id + number // 2
        try:
            if number % 2 == 0:
                body = json.dumps({"id": user_id, "name": f"load-{user_id}"}).encode()
                status = request("POST", f"{base}/users", body)
                expected = 201
            else:
                status = request("GET", f"{base}/users/{user_id}", None)
                expected = 200
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
        report: dict[str, list[object]] = {"statuses": [], "failures": [], "created": []}
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
        "created": [user for report in reports for user in report["created"]],
    }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
