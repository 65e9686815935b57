"""The chart's NetworkPolicies, enforced: the cluster runs kube-router's firewall.

What chart/README.md promises: app pods accept traffic on `http` from anyone and connect only to
DNS and MongoDB; MongoDB accepts only this release's app pods and opens no connections. Two pods
without the release's labels stand in for the rest of the cluster: `stranger` calls, `listener`
answers on a port no policy opens. Enforcement follows pod and policy changes asynchronously, so
each check polls, bounded, and reports how long it took.
"""

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

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200)]

STRANGER = "stranger"
LISTENER = "listener"
LISTENER_PORT = 8080
# kube-router REJECTs what no policy admits, so a blocked connection fails at once; a
# timeout would also count as blocked.
CONNECT_TIMEOUT = 3
# How long the firewall may take to follow a change (seconds).
ENFORCED_WITHIN = 60
HINT = "is NetworkPolicy enforcement running? (`scripts/local-cluster status`: kube-router)"

# Run in a pod with python: one TCP connection; its outcome as JSON on stdout.
CONNECT = """
import json, socket, sys, time
started = time.monotonic()
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3])).close()
    outcome = "connected"
except OSError as error:
    outcome = type(error).__name__
print(json.dumps({"outcome": outcome, "seconds": round(time.monotonic() - started, 3)}))
"""
READYZ = """
import sys, urllib.error, urllib.request
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=5).status)
except urllib.error.HTTPError as error:
    print(error.code)
except OSError as error:
    print(type(error).__name__)
"""


def unlabelled_pod(name: str, images: ClusterImages, *command: str) -> dict[str, object]:
    """A pod of the app image that no policy of the release selects or admits."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"e2e-role": name}},
        "spec": {
            "automountServiceAccountToken": False,
            "terminationGracePeriodSeconds": 1,
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [
                {
                    "name": name,
                    "image": f"{images.app_repository}:{images.app_tag}",
                    "imagePullPolicy": "IfNotPresent",
                    "command": list(command),
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "capabilities": {"drop": ["ALL"]},
                    },
                    "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}},
                }
            ],
        },
    }


@pytest.fixture(scope="module")
def release(new_namespace: Callable[[str], Kube], images: ClusterImages) -> Release:
    """The chart with its default policies, plus the stranger and the listener, all Ready."""
    kube = new_namespace("netpol")
    installed = Release(kube=kube, images=images)
    try:
        installed.install("resources.requests.cpu=20m")
        pods = [
            unlabelled_pod(STRANGER, images, "sleep", "infinity"),
            unlabelled_pod(LISTENER, images, "python", "-m", "http.server", str(LISTENER_PORT)),
        ]
        kube.kubectl(
            "apply",
            "-f",
            "-",
            stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": pods}),
        )
        kube.kubectl("wait", "pod", STRANGER, LISTENER, "--for=condition=Ready", "--timeout=180s")
    except BaseException:
        print(kube.logs_on_failure())
        raise
    return installed


def pod_ip(kube: Kube, name: str) -> str:
    ip: str = kube.get("pod", name)["status"]["podIP"]
    return ip


def app_pod(kube: Kube) -> str:
    pods = kube.get("pods", f"--selector=app.kubernetes.io/name={APP}")["items"]
    running: list[str] = [
        pod["metadata"]["name"] for pod in pods if pod["status"].get("phase") == "Running"
    ]
    assert running, "no running app pod"
    return running[0]


def connect(kube: Kube, pod: str, host: str, port: int) -> dict[str, object]:
    """One TCP connection from a python pod: {"outcome": "connected" | error name, "seconds"}."""
    output = kube.kubectl(
        "exec", pod, "--", "python", "-c", CONNECT, host, str(port), str(CONNECT_TIMEOUT)
    )
    outcome: dict[str, object] = json.loads(output)
    return outcome


def settles(
    kube: Kube, pod: str, host: str, port: int, *, connected: bool
) -> tuple[float, dict[str, object]]:
    """Poll until a connection from pod succeeds (or fails); seconds taken and the last outcome."""
    last: dict[str, object] = {}

    def check() -> bool:
        nonlocal last
        last = connect(kube, pod, host, port)
        return (last["outcome"] == "connected") is connected

    verb = "connect" if connected else "be refused"
    waited = eventually(
        check, within=ENFORCED_WITHIN, what=f"{pod} to {verb} at {host}:{port}; {HINT}"
    )
    return waited, last


def test_a_pod_without_the_apps_labels_cannot_reach_mongodb(
    release: Release, figure: Callable[[str, object], None]
) -> None:
    kube = release.kube
    service = f"{MONGODB}.{kube.namespace}.svc"
    waited, outcome = settles(kube, STRANGER, service, 27017, connected=False)
    figure("stranger to the MongoDB Service", outcome)
    figure("seconds until refused", round(waited, 1))
    # The policy guards the pod, not only its Service address.
    direct = connect(kube, STRANGER, pod_ip(kube, f"{MONGODB}-0"), 27017)
    figure("stranger to the MongoDB pod IP", direct)
    assert direct["outcome"] != "connected", HINT


def test_the_app_reaches_mongodb_and_is_ready(
    release: Release, figure: Callable[[str, object], None]
) -> None:
    kube = release.kube
    app = app_pod(kube)
    _, outcome = settles(kube, app, f"{MONGODB}.{kube.namespace}.svc", 27017, connected=True)
    figure("app pod to the MongoDB Service", outcome)
    assert release.ready_replicas(f"deployment/{APP}") == (2, 2)
    # Readiness pings MongoDB; asked from the stranger, since the app port admits anyone.
    status = kube.kubectl(
        "exec", STRANGER, "--", "python", "-c", READYZ, f"{release.service_url()}/readyz"
    ).strip()
    figure("stranger GET /readyz through the app Service", status)
    assert status == "200"


def test_app_pods_connect_to_nothing_but_dns_and_mongodb(
    release: Release, figure: Callable[[str, object], None]
) -> None:
    kube = release.kube
    listener = pod_ip(kube, LISTENER)
    # The listener answers pods no policy restricts: a refusal below is the app's egress policy.
    control = connect(kube, STRANGER, listener, LISTENER_PORT)
    figure("stranger to the listener", control)
    assert control["outcome"] == "connected"
    _, outcome = settles(kube, app_pod(kube), listener, LISTENER_PORT, connected=False)
    figure("app pod to the listener", outcome)


def test_mongodb_opens_no_connections(
    release: Release, figure: Callable[[str, object], None]
) -> None:
    kube = release.kube

    def connects(host: str, port: int) -> bool:
        # bash's /dev/tcp: the official mongo image has bash but no python.
        probe = f"timeout {CONNECT_TIMEOUT} bash -c 'exec 3<>/dev/tcp/{host}/{port}'"
        return kube.attempt("exec", f"{MONGODB}-0", "--", "bash", "-c", probe)

    # The probe works in this image (loopback is never filtered), so a failure below is the policy.
    assert connects("127.0.0.1", 27017)
    listener = pod_ip(kube, LISTENER)

    def refused() -> bool:
        return not connects(listener, LISTENER_PORT)

    waited = eventually(
        refused, within=ENFORCED_WITHIN, what=f"MongoDB's connection to be refused; {HINT}"
    )
    figure("seconds until MongoDB's connection to the listener was refused", round(waited, 1))
