"""The chart's NetworkPolicies, enforced by kube-network-policies (kind's implementation)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.e2e.kube import eventually
from tests.e2e.release import APP, MONGODB, Release

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.e2e.images import ClusterImages
    from tests.e2e.kube import Kube

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

PROBE = "stranger"
# Connects to each host:port (argv) with a 5 s timeout; prints {target: "open" | error}.
PROBE_SOURCE = """
import json, socket, sys
result = {}
for target in sys.argv[1:]:
    host, port = target.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
        result[target] = "open"
    except OSError as error:
        result[target] = type(error).__name__
print(json.dumps(result), flush=True)
"""


def probe_from_a_stranger(kube: Kube, images: ClusterImages, *targets: str) -> dict[str, str]:
    """TCP connects from a pod that no policy of the chart admits (no release labels)."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": PROBE, "labels": {"app.kubernetes.io/name": PROBE}},
        "spec": {
            "restartPolicy": "Never",
            "securityContext": {"runAsNonRoot": True, "runAsUser": 10001},
            "containers": [
                {
                    "name": "probe",
                    "image": f"{images.app_repository}:{images.app_tag}",
                    "command": ["python", "-c", PROBE_SOURCE, *targets],
                    "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}},
                }
            ],
        },
    }
    kube.kubectl("apply", "-f", "-", stdin=json.dumps(pod))
    eventually(
        lambda: kube.get(f"pod/{PROBE}")["status"]["phase"] in {"Succeeded", "Failed"},
        within=180,
        what="the probe pod to finish",
    )
    result: dict[str, str] = json.loads(kube.kubectl("logs", PROBE).strip().splitlines()[-1])
    return result


def test_only_the_app_reaches_mongodb_and_anyone_reaches_the_app(
    new_namespace: Callable[[str], Kube],
    images: ClusterImages,
    figure: Callable[[str, object], None],
) -> None:
    kube = new_namespace("netpol")
    release = Release(kube=kube, images=images)
    release.install("resources.requests.cpu=20m", "mongodb.resources.requests.cpu=20m")
    # The app's readiness needs MongoDB, so Ready app pods prove the allowed path.
    assert release.ready_replicas(f"deployment/{APP}") == (2, 2)
    app = f"{APP}.{kube.namespace}.svc:80"
    mongodb = f"{MONGODB}.{kube.namespace}.svc:27017"
    result = probe_from_a_stranger(kube, images, app, mongodb)
    figure("stranger_connects", result)
    assert result[app] == "open"
    assert result[mongodb] != "open"
