"""A bounded load through a Service, from a pod inside the cluster (see load_client.py)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tests.e2e.kube import Kube, eventually
from tests.e2e.release import CLIENT_ACCOUNT, projected_token

if TYPE_CHECKING:
    from tests.e2e.images import ClusterImages

CLIENT_SOURCE = (Path(__file__).parent / "load_client.py").read_text()
POD = "e2e-load"


@dataclass(frozen=True)
class LoadResult:
    requests: int
    failed: int
    first_failures: list[str]
    created: list[int]
    retried_503: int
    retried_503_types: list[str]


def start_load(
    kube: Kube, images: ClusterImages, service_url: str, *, workers: int = 4, limit: int = 10000
) -> int:
    """Start the load pod (the app image ships Python) and wait until it runs; its first user id.

    It runs as release.py's client account, with that account's projected token.
    """
    first_id = secrets.randbelow(2**40) * 1000 + 1
    token_mount, token_volume = projected_token(expiration_seconds=3600)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": POD},
        "spec": {
            "restartPolicy": "Never",
            "serviceAccountName": CLIENT_ACCOUNT,
            "automountServiceAccountToken": False,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001},
            "containers": [
                {
                    "name": "load",
                    "image": f"{images.app_repository}:{images.app_tag}",
                    "imagePullPolicy": "IfNotPresent",
                    "command": ["python", "-c", CLIENT_SOURCE],
                    "args": [service_url, str(workers), str(limit), str(first_id)],
                    "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}},
                    "volumeMounts": [token_mount],
                }
            ],
            "volumes": [token_volume],
        },
    }
    kube.kubectl("apply", "-f", "-", stdin=json.dumps(pod))
    kube.kubectl(
        "wait",
        f"pod/{POD}",
        "--for=jsonpath={.status.phase}=Running",
        "--timeout=180s",
        timeout=200,
    )
    return first_id


def stop_load(kube: Kube) -> LoadResult:
    """Ask the load pod to stop, wait for its report and delete it."""
    # The pod may have sent its maximum and exited already: then there is nothing to stop.
    kube.attempt("exec", POD, "--", "python", "-c", "open('/tmp/stop', 'w').close()")
    eventually(
        lambda: kube.get(f"pod/{POD}")["status"]["phase"] in {"Succeeded", "Failed"},
        within=120,
        what="the load pod to report",
    )
    report = json.loads(kube.kubectl("logs", POD).strip().splitlines()[-1])
    kube.kubectl("delete", "pod", POD, "--wait=false")
    return LoadResult(
        requests=report["requests"],
        failed=report["failed"],
        first_failures=report["first_failures"],
        created=report["created"],
        retried_503=report["retried_503_count"],
        retried_503_types=report["retried_503"],
    )
