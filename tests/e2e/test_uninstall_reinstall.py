"""`helm uninstall` keeps what chart/README.md promises, and a reinstall finds the old data."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.e2e.access import call, port_forward
from tests.e2e.release import APP, MONGODB, RELEASE, Release

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.e2e.images import ClusterImages
    from tests.e2e.kube import Kube

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

USER = {"id": 7, "name": "Kept across reinstalls"}


def test_uninstall_keeps_secret_and_volume_and_reinstall_finds_old_data(
    new_namespace: Callable[[str], Kube],
    images: ClusterImages,
    figure: Callable[[str, object], None],
) -> None:
    release = Release(kube=new_namespace("reinstall"), images=images)
    release.install()
    with port_forward(release.kube.namespace, f"service/{APP}", 80) as base:
        assert call("POST", f"{base}/users", USER, token=release.client_token())[0] == 201
    passwords = release.passwords()

    release.kube.helm("uninstall", RELEASE, "--wait", "--timeout=5m", timeout=360)
    # chart/README.md: the Secret has helm.sh/resource-policy: keep, the data PVC is retained
    # (persistentVolumeClaimRetentionPolicy whenDeleted: Retain); the workloads are gone.
    left = {
        f"{item['kind']}/{item['metadata']['name']}"
        for item in release.kube.get("deployments,statefulsets,secrets,pvc")["items"]
    }
    figure("kept_after_uninstall", sorted(left))
    assert left == {f"Secret/{MONGODB}", f"PersistentVolumeClaim/data-{MONGODB}-0"}

    release.install()
    reinstalled = release.passwords()
    figure("passwords_unchanged_after_reinstall", reinstalled == passwords)
    assert reinstalled == passwords
    with port_forward(release.kube.namespace, f"service/{APP}", 80) as base:
        status, user = call("GET", f"{base}/users/{USER['id']}", token=release.client_token())
    assert status == 200
    assert isinstance(user, dict)
    assert USER.items() <= user.items()
