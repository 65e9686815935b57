"""One release through its life: install, helm test, the seed's flow, two upgrades under load,
a MongoDB restart. The steps run in file order on one release in a namespace of its own."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from tests.e2e.access import call, port_forward, status_of
from tests.e2e.kube import eventually
from tests.e2e.load import start_load, stop_load
from tests.e2e.release import (
    APP,
    AUDIENCE,
    MONGODB,
    RELEASE,
    Release,
    all_user_ids,
    bumped_patch,
    chart_version,
    chart_with_version,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.e2e.images import ClusterImages
    from tests.e2e.kube import Kube

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

SEED_USER = {"id": 2, "name": "Alice"}
# Users acknowledged so far (the seed's and the load's), checked after every disruption.
ACKNOWLEDGED: set[int] = set()


@pytest.fixture(scope="module")
def release(new_namespace: Callable[[str], Kube], images: ClusterImages) -> Release:
    """The chart installed with its defaults except the image references."""
    kube = new_namespace("lifecycle")
    installed = Release(kube=kube, images=images)
    try:
        installed.install()
    except BaseException:
        print(kube.logs_on_failure())
        raise
    return installed


def test_install_makes_the_app_and_mongodb_ready_with_a_bound_volume(release: Release) -> None:
    ready, desired = release.ready_replicas(f"deployment/{APP}")
    assert ready == desired == 2
    assert release.ready_replicas(f"statefulset/{MONGODB}") == (1, 1)
    claims = release.kube.get("pvc")["items"]
    assert claims, "the StatefulSet claimed no volume"
    assert {claim["status"]["phase"] for claim in claims} == {"Bound"}


def test_helm_test_round_trips_a_user_through_the_service(release: Release) -> None:
    output = release.helm_test()
    assert "Succeeded" in output, output


def test_seed_curl_flow_works_through_the_service(release: Release) -> None:
    # NOTES.txt, with the default authentication: a token of an account given a role, then
    # curl -H "Authorization: Bearer $TOKEN" localhost:8080/users --data '{"id": 2, ...}' and
    # curl -H "Authorization: Bearer $TOKEN" 'localhost:8080/users?id=2'
    notes = release.kube.helm("get", "notes", RELEASE)
    assert f"create token me --audience {AUDIENCE}" in notes, notes
    assert 'curl -H "Authorization: Bearer $TOKEN" localhost:8080/users --data' in notes, notes
    token = release.client_token()
    with port_forward(release.kube.namespace, f"service/{APP}", 80) as base:
        assert call("POST", f"{base}/users", SEED_USER)[0] == 401  # no token: refused
        assert call("POST", f"{base}/users", SEED_USER, token=token)[0] == 201
        status, user = call("GET", f"{base}/users?id=2", token=token)
    assert status == 200
    assert isinstance(user, dict)
    assert SEED_USER.items() <= user.items()
    ACKNOWLEDGED.add(2)


def test_two_upgrades_keep_passwords_and_users_and_fail_no_request(
    release: Release,
    tmp_path_factory: pytest.TempPathFactory,
    figure: Callable[[str, object], None],
) -> None:
    passwords = release.passwords()
    mongodb_pod = release.kube.get(f"pod/{MONGODB}-0")["metadata"]["uid"]
    start_load(release.kube, release.images, release.service_url())
    try:
        time.sleep(3)
        release.install("config.logLevel=debug", upgrade=True)
        next_version = bumped_patch(chart_version())
        chart = chart_with_version(tmp_path_factory.mktemp("chart"), next_version)
        release.install("config.logLevel=debug", chart=chart, upgrade=True)
        time.sleep(3)
    finally:
        load = stop_load(release.kube)
    ACKNOWLEDGED.update(load.created)
    figure("rollout_requests", load.requests)
    figure("rollout_failed_requests", load.failed)
    figure("rollout_503_retried", f"{load.retried_503} {load.retried_503_types}")
    assert load.failed == 0, load.first_failures
    assert load.requests > 100, "the load ran too briefly to cover the rollouts"
    # Both upgrades rolled the app (revision 1 -> 3); MongoDB kept its one pod throughout.
    deployment = release.kube.get(f"deployment/{APP}")
    assert deployment["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert release.kube.get(f"pod/{MONGODB}-0")["metadata"]["uid"] == mongodb_pod
    assert f"users-api-{next_version}" in release.kube.helm("list", "--output=yaml")
    after = release.passwords()
    figure("passwords_unchanged", after == passwords)
    assert after == passwords
    with port_forward(release.kube.namespace, f"service/{APP}", 80) as base:
        missing = ACKNOWLEDGED - all_user_ids(base, release.client_token())
    figure(
        "users_read_back_after_upgrades", f"{len(ACKNOWLEDGED) - len(missing)}/{len(ACKNOWLEDGED)}"
    )
    assert not missing


def test_mongodb_restart_turns_readiness_503_then_recovers_with_all_users(
    release: Release, figure: Callable[[str, object], None]
) -> None:
    pods = release.kube.get(
        "pods",
        f"--selector=app.kubernetes.io/instance={APP},app.kubernetes.io/component=api",
    )["items"]
    pod = next(p for p in pods if "deletionTimestamp" not in p["metadata"])
    port = pod["spec"]["containers"][0]["ports"][0]["containerPort"]
    with port_forward(release.kube.namespace, f"pod/{pod['metadata']['name']}", port) as base:
        assert status_of(f"{base}/readyz") == 200
        deleted_at = time.monotonic()
        release.kube.kubectl("delete", "pod", f"{MONGODB}-0", "--wait=false")
        eventually(
            lambda: status_of(f"{base}/readyz") == 503,
            within=120,
            every=0.2,
            what="the app's readiness to turn 503 without MongoDB",
        )
        eventually(
            lambda: status_of(f"{base}/readyz") == 200,
            within=300,
            every=0.5,
            what="the app's readiness to recover by itself",
        )
        recovered = time.monotonic() - deleted_at
    figure("readiness_recovery_seconds", round(recovered, 1))
    release.kube.rollout_status(f"statefulset/{MONGODB}")
    with port_forward(release.kube.namespace, f"service/{APP}", 80) as base:
        eventually(lambda: status_of(f"{base}/readyz") == 200, within=120, what="the Service")
        missing = ACKNOWLEDGED - all_user_ids(base, release.client_token())
    figure(
        "users_read_back_after_mongodb_restart",
        f"{len(ACKNOWLEDGED) - len(missing)}/{len(ACKNOWLEDGED)}",
    )
    assert not missing
