"""ServiceAccount authentication against the live API server's issuer and keys.

A pod of an allowed ServiceAccount gets 200, a pod of another gets 403, a call
without a token 401; `helm test` authenticates with its own projected token.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.e2e.kube import eventually
from tests.e2e.release import Release, projected_token

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.e2e.images import ClusterImages
    from tests.e2e.kube import Kube

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

ALLOWED = "checkout"
OTHER = "intruder"
# GETs /users?limit=1 without and with the pod's projected token; prints both statuses.
CLIENT_SOURCE = """
import json, sys, urllib.error, urllib.request
url = sys.argv[1] + "/users?limit=1"
def status(headers):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as error:
        return error.code
token = open("/var/run/secrets/users-api/token").read().strip()
print(json.dumps({"without": status({}), "with": status({"Authorization": "Bearer " + token})}))
"""


def client_statuses(kube: Kube, images: ClusterImages, account: str, url: str) -> dict[str, int]:
    """Run a client pod as `account` with a projected token (audience users-api)."""
    name = f"client-{account}"
    token_mount, token_volume = projected_token(expiration_seconds=600)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/name": name}},
        "spec": {
            "restartPolicy": "Never",
            "serviceAccountName": account,
            "automountServiceAccountToken": False,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 10001},
            "containers": [
                {
                    "name": "client",
                    "image": f"{images.app_repository}:{images.app_tag}",
                    "command": ["python", "-c", CLIENT_SOURCE, url],
                    "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}},
                    "volumeMounts": [token_mount],
                }
            ],
            "volumes": [token_volume],
        },
    }
    kube.kubectl("apply", "-f", "-", stdin=json.dumps(pod))
    eventually(
        lambda: kube.get(f"pod/{name}")["status"]["phase"] in {"Succeeded", "Failed"},
        within=180,
        what=f"the {account} client pod to finish",
    )
    last_line = kube.kubectl("logs", f"pod/{name}").strip().splitlines()[-1]
    result: dict[str, int] = json.loads(last_line)
    return result


@pytest.fixture(scope="module")
def release(new_namespace: Callable[[str], Kube], images: ClusterImages) -> Release:
    kube = new_namespace("auth")
    for account in (ALLOWED, OTHER):
        kube.kubectl("create", "serviceaccount", account)
    release = Release(kube, images)
    release.install(
        "auth.mode=serviceAccount",
        f"auth.roles.system:serviceaccount:{kube.namespace}:{ALLOWED}=reader",
        "replicaCount=1",
    )
    return release


def test_allowed_account_200_other_403_no_token_401(
    release: Release, images: ClusterImages, figure: Callable[[str, object], None]
) -> None:
    allowed = client_statuses(release.kube, images, ALLOWED, release.service_url())
    other = client_statuses(release.kube, images, OTHER, release.service_url())
    figure("allowed", allowed)
    figure("other", other)
    assert allowed == {"without": 401, "with": 200}
    assert other == {"without": 401, "with": 403}


def test_helm_test_authenticates_with_its_own_projected_token(release: Release) -> None:
    # helm test exits non-zero (and release.helm_test fails the test) if the pod fails.
    output = release.helm_test()
    assert "Succeeded" in output, output
