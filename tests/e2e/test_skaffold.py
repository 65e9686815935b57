"""Skaffold against the live cluster: `skaffold run`, then `skaffold dev` with file sync and Ctrl-C.

Skaffold runs the project's skaffold.yaml with the `local-cluster` profile: it pushes to the
cluster's registry on 127.0.0.1 (`--default-repo`; the kube-context is not kind-*, so Skaffold
pushes instead of loading) and deploys the chart with the MongoDB stand-in. `--kubeconfig` and
`--kube-context` point it at this cluster and override skaffold.yaml's `kind-users-dev`.
Each run works on a copy of the repository, so saving a file never touches the checkout.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

import pytest

from tests.e2e.access import call, port_forward
from tests.e2e.kube import KUBECONFIG, KUBECTL, eventually, run
from tests.image.harness import docker_engine
from tests.support.tiers import REPO_ROOT, find_tool, unavailable

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from tests.e2e.images import ClusterImages
    from tests.e2e.kube import Kube

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

REGISTRY = "127.0.0.1:5000"
RELEASE = "users-api"
# What a build and deploy need; tests, benchmarks and tool caches stay behind.
WORKSPACE_FILES = ("Dockerfile", ".dockerignore", "pyproject.toml", "uv.lock", "skaffold.yaml")
WORKSPACE_DIRS = ("app", "chart", "k8s-dev")
SYNCED_FILE = "app/openapi.py"
ORIGINAL_TEXT = "Users CRUD over MongoDB."
# Never phone home: no metrics, survey or update check (traffic stays on this machine).
GLOBAL_CONFIG = """global:
  collect-metrics: false
  update-check: false
  survey:
    disable-prompt: true
"""


@pytest.fixture(scope="module")
def skaffold() -> Path:
    return find_tool("skaffold", install_hint="run `make tools` (builds the pinned Skaffold)")


@pytest.fixture(scope="module")
def registry() -> str:
    """The cluster's registry, which Skaffold pushes to and the kubelet pulls from."""
    try:
        with urllib.request.urlopen(f"http://{REGISTRY}/v2/", timeout=5) as response:
            assert response.status == 200
    except (OSError, urllib.error.URLError) as error:
        unavailable(f"no registry answers on {REGISTRY} (scripts/local-cluster up): {error}")
    return REGISTRY


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the files Skaffold builds and deploys from."""
    root = tmp_path_factory.mktemp("skaffold-workspace")
    for name in WORKSPACE_FILES:
        shutil.copy2(REPO_ROOT / name, root / name)
    for name in WORKSPACE_DIRS:
        shutil.copytree(REPO_ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    return root


@pytest.fixture(scope="module")
def skaffold_cli(
    skaffold: Path, registry: str, workspace: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., list[str]]:
    """argv of a Skaffold command on this cluster in a namespace, and its environment."""
    config = tmp_path_factory.mktemp("skaffold-home") / "config"
    config.write_text(GLOBAL_CONFIG)
    context = run(
        [KUBECTL, f"--kubeconfig={KUBECONFIG}", "config", "current-context"], timeout=30
    ).strip()

    def argv(command: str, namespace: str, *flags: str) -> list[str]:
        return [
            str(skaffold), command, "--profile=local-cluster", f"--kubeconfig={KUBECONFIG}",
            f"--kube-context={context}", f"--default-repo={registry}", f"--namespace={namespace}",
            f"--config={config}", f"--filename={workspace / 'skaffold.yaml'}",
            "--interactive=false", "--port-forward=off", *flags,
        ]  # fmt: skip

    return argv


@pytest.fixture(scope="module")
def skaffold_env(
    helm: Path, images: ClusterImages, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """docker, helm and kubectl on PATH; the stand-in images for the profile's templates."""
    check = run([REPO_ROOT / "scripts" / "build-standin-images", "--check"], timeout=60)
    bases = dict(line.split("=", 1) for line in check.split())
    # Skaffold runs `docker build` from PATH: the engine's own client, which has BuildKit
    # built in (Debian's docker.io), as the image tier uses; a newer client without buildx
    # earlier on PATH would refuse RUN --mount.
    shims = tmp_path_factory.mktemp("skaffold-bin")
    (shims / "docker").symlink_to(docker_engine().cli)
    path = os.pathsep.join([str(shims), str(helm.parent), str(KUBECTL.parent), os.environ["PATH"]])
    return {
        **os.environ,
        "PATH": path,
        "PYTHON_IMAGE": bases["PYTHON_IMAGE"],
        "UV_IMAGE": bases["UV_IMAGE"],
        "MONGODB_IMAGE_REPOSITORY": images.mongodb_repository,
        "MONGODB_IMAGE_TAG": images.mongodb_tag,
        "DOCKER_BUILDKIT": "1",
    }


def app_pod(kube: Kube) -> dict[str, object]:
    """The one app pod of the release (values-dev: replicaCount 1)."""
    pods = kube.get("pods", f"--selector=app.kubernetes.io/name={RELEASE}")["items"]
    assert len(pods) == 1, [pod["metadata"]["name"] for pod in pods]
    pod: dict[str, object] = pods[0]
    return pod


def test_skaffold_run_pushes_to_the_registry_and_deploys_a_working_release(
    new_namespace: Callable[[str], Kube],
    skaffold_cli: Callable[..., list[str]],
    skaffold_env: dict[str, str],
    workspace: Path,
    figure: Callable[[str, object], None],
) -> None:
    kube = new_namespace("skaffold-run")
    started = time.monotonic()
    done = subprocess.run(
        skaffold_cli("run", kube.namespace),
        cwd=workspace,
        env=skaffold_env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:] + kube.logs_on_failure()
    figure("skaffold_run_seconds", round(time.monotonic() - started))  # build, push, deploy

    image = app_pod(kube)["spec"]["containers"][0]["image"]  # type: ignore[index]
    with port_forward(kube.namespace, f"service/{RELEASE}", 80) as url:
        created, _ = call("POST", f"{url}/users", {"id": 2, "name": "Alice"})
        status, body = call("GET", f"{url}/users/2")

    assert image.startswith(f"{REGISTRY}/"), image
    assert created == 201
    assert status == 200
    assert isinstance(body, dict)
    assert body["name"] == "Alice"


@pytest.fixture(scope="module")
def dev_session(
    new_namespace: Callable[[str], Kube],
    skaffold_cli: Callable[..., list[str]],
    skaffold_env: dict[str, str],
    workspace: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Kube, subprocess.Popen[bytes], Path]]:
    """`skaffold dev` running in its own namespace until the app is Ready; stopped afterwards."""
    kube = new_namespace("skaffold-dev")
    log = tmp_path_factory.mktemp("skaffold-dev") / "skaffold.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            skaffold_cli("dev", kube.namespace, "--cleanup=true"),
            cwd=workspace,
            env=skaffold_env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        eventually(
            lambda: process.poll() is None and "Deployments stabilized" in log.read_text(),
            within=1200,
            what=f"skaffold dev to deploy (log: {log})",
            every=2,
        )
        yield kube, process, log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


# Asked from inside the pod: a port-forward breaks for good when the server it points at
# restarts, which is exactly what this step makes happen.
FETCH_DESCRIPTION = (
    "import json, urllib.request;"
    "print(json.load(urllib.request.urlopen('http://127.0.0.1:8080/openapi.json', timeout=3))"
    "['info']['description'])"
)


def openapi_description(kube: Kube, pod: str) -> str | None:
    """info.description of the served OpenAPI document, None while the server restarts."""
    done = subprocess.run(
        [KUBECTL, f"--kubeconfig={KUBECONFIG}", f"--namespace={kube.namespace}", "exec", pod,
         "--", "python", "-c", FETCH_DESCRIPTION],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    return done.stdout.strip() if done.returncode == 0 else None


def test_skaffold_dev_syncs_a_saved_py_file_and_the_server_restarts(
    dev_session: tuple[Kube, subprocess.Popen[bytes], Path],
    workspace: Path,
    figure: Callable[[str, object], None],
) -> None:
    kube, _, log = dev_session
    pod = str(app_pod(kube)["metadata"]["name"])  # type: ignore[index]
    marker = f"Synced by skaffold dev at {time.time():.0f}."
    assert openapi_description(kube, pod) is not None
    source = workspace / SYNCED_FILE
    source.write_text(source.read_text().replace(ORIGINAL_TEXT, marker))
    seconds = eventually(
        lambda: (openapi_description(kube, pod) or "").startswith(marker),
        within=120,
        what=f"the edit of {SYNCED_FILE} to be served (skaffold log: {log})",
        every=0.2,
    )
    figure("sync_to_restart_seconds", round(seconds, 1))  # save -> new code answering
    after = app_pod(kube)

    # Synced into the same pod and restarted in place: no rebuild, no new pod.
    assert after["metadata"]["name"] == pod  # type: ignore[index]
    assert "Syncing 1 files" in log.read_text()


def test_sigint_stops_skaffold_dev_and_removes_the_release(
    dev_session: tuple[Kube, subprocess.Popen[bytes], Path],
    figure: Callable[[str, object], None],
) -> None:
    kube, process, log = dev_session
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    try:
        code = process.wait(timeout=300)
    except subprocess.TimeoutExpired:
        pytest.fail(
            f"skaffold dev still running 300 s after SIGINT; log: {log.read_text()[-3000:]}"
        )
    figure("sigint_exit", f"code {code} after {time.monotonic() - started:.1f}s")
    releases = kube.helm("list", "--short").split()

    assert releases == []
    eventually(
        lambda: not kube.get("deployments,statefulsets")["items"],
        within=120,
        what="the release's workloads to be deleted",
    )
