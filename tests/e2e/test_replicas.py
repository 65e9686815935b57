"""Three app pods: spread by the chart's topology rules, and the PodDisruptionBudget holds."""

from __future__ import annotations

import json
import subprocess
from typing import TYPE_CHECKING

import pytest

from tests.e2e.kube import KUBECONFIG, KUBECTL, eventually
from tests.e2e.release import APP, Release

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.e2e.images import ClusterImages
    from tests.e2e.kube import Kube

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

# The node is shared with other tiers: smaller CPU requests than the defaults keep every
# test's pods schedulable on two cores (requests are bookkeeping, not measured here).
SMALL_REQUESTS = ("resources.requests.cpu=20m", "mongodb.resources.requests.cpu=20m")


def evict(kube: Kube, pod: str) -> subprocess.CompletedProcess[str]:
    """POST an Eviction for pod, as `kubectl drain` does; never raises."""
    eviction = {
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": pod, "namespace": kube.namespace},
    }
    return subprocess.run(
        [
            KUBECTL,
            f"--kubeconfig={KUBECONFIG}",
            "create",
            "-f",
            "-",
            f"--raw=/api/v1/namespaces/{kube.namespace}/pods/{pod}/eviction",
        ],
        input=json.dumps(eviction),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_three_replicas_spread_and_the_disruption_budget_blocks_a_second_eviction(
    new_namespace: Callable[[str], Kube],
    images: ClusterImages,
    figure: Callable[[str, object], None],
) -> None:
    release = Release(kube=new_namespace("replicas"), images=images)
    release.install("replicaCount=3", *SMALL_REQUESTS)
    assert release.ready_replicas(f"deployment/{APP}") == (3, 3)
    selector = f"--selector=app.kubernetes.io/instance={APP},app.kubernetes.io/component=api"
    pods = release.kube.get("pods", selector)["items"]
    nodes = release.kube.get("nodes")["items"]
    # The chart's rule is maxSkew 1 per hostname, ScheduleAnyway: on n nodes the three pods
    # sit on min(n, 3) nodes; this cluster has one node, so all three share it.
    constraints = pods[0]["spec"]["topologySpreadConstraints"]
    assert constraints[0]["topologyKey"] == "kubernetes.io/hostname"
    used = {pod["spec"]["nodeName"] for pod in pods}
    figure("replica_nodes", f"{len(pods)} pods on {len(used)} of {len(nodes)} node(s)")
    assert len(pods) == 3
    assert len(used) == min(len(nodes), 3)

    eventually(
        lambda: release.kube.get(f"pdb/{APP}")["status"].get("disruptionsAllowed") == 1,
        within=60,
        what="the PodDisruptionBudget to allow one disruption",
    )
    first, second = (pod["metadata"]["name"] for pod in pods[:2])
    evicted = evict(release.kube, first)
    assert evicted.returncode == 0, evicted.stderr
    refused = evict(release.kube, second)
    figure(
        "second_eviction", refused.stderr.strip().splitlines()[-1] if refused.stderr else "allowed"
    )
    assert refused.returncode != 0
    assert "disruption budget" in refused.stderr, refused.stderr
    # The evicted pod is replaced and the Deployment is whole again.
    release.kube.rollout_status(f"deployment/{APP}")
    eventually(
        lambda: release.ready_replicas(f"deployment/{APP}") == (3, 3),
        within=300,
        what="three Ready app pods again",
    )
