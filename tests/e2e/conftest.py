"""The e2e tier: the chart on the live local cluster that scripts/local-cluster runs.

The tests start no cluster: `make e2e-cluster` (root, machine-level) or .ci/run does.
Without it the tier skips locally and fails in CI. Each module installs into a
namespace of its own and deletes it afterwards; figures a reader of the CI log
wants (failed requests, recovery seconds) are printed in the terminal summary.
"""

from __future__ import annotations

import subprocess
import uuid
from typing import TYPE_CHECKING

import pytest

from tests.e2e.images import ClusterImages, build_and_load
from tests.e2e.kube import KUBECONFIG, KUBECTL, READY_FILE, Kube, run
from tests.e2e.release import CLIENT_ACCOUNT
from tests.support.tiers import find_tool, unavailable

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from _pytest.terminal import TerminalReporter

FIGURES: pytest.StashKey[list[str]] = pytest.StashKey()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[FIGURES] = []


def pytest_terminal_summary(terminalreporter: TerminalReporter, config: pytest.Config) -> None:
    """The e2e figures, visible in the CI log whatever the capture mode."""
    if config.stash.get(FIGURES, []):
        terminalreporter.section("e2e figures")
        for line in config.stash[FIGURES]:
            terminalreporter.write_line(line)


@pytest.fixture
def figure(
    request: pytest.FixtureRequest, record_property: Callable[[str, object], None]
) -> Callable[[str, object], None]:
    """Report one measured figure of this test (terminal summary, JUnit property, stdout)."""

    def report(name: str, value: object) -> None:
        line = f"{request.node.nodeid}: {name} = {value}"
        print(line)
        record_property(name, value)
        request.config.stash[FIGURES].append(line)

    return report


@pytest.fixture(scope="session")
def helm() -> Path:
    return find_tool("helm", install_hint="run `make tools-chart`")


@pytest.fixture(scope="session")
def cluster() -> Path:
    """The running cluster's kubeconfig, once the cluster answers."""
    if not READY_FILE.is_file() or not KUBECTL.is_file():
        unavailable(f"no local cluster ({READY_FILE} absent); run `make e2e-cluster` (as root)")
    done = subprocess.run(
        [KUBECTL, f"--kubeconfig={KUBECONFIG}", "get", "--raw=/readyz"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if done.returncode:
        unavailable(f"the local cluster does not answer: {done.stderr.strip()}")
    return KUBECONFIG


@pytest.fixture(scope="session")
def images(cluster: Path) -> ClusterImages:  # noqa: ARG001 - built only once the cluster answers
    """The app image from the Dockerfile and the MongoDB stand-in, loaded into the cluster."""
    return build_and_load()


@pytest.fixture(scope="module")
def new_namespace(cluster: Path, helm: Path) -> Iterator[Callable[[str], Kube]]:
    """Namespaces of this module (unique names, each with release.py's client account).

    Deleted afterwards with everything in them.
    """
    created: list[Kube] = []

    def create(purpose: str) -> Kube:
        kube = Kube(namespace=f"e2e-{purpose}-{uuid.uuid4().hex[:6]}", helm_path=helm)
        run([KUBECTL, f"--kubeconfig={cluster}", "create", "namespace", kube.namespace], timeout=60)
        created.append(kube)
        kube.kubectl("create", "serviceaccount", CLIENT_ACCOUNT)
        return kube

    yield create
    for kube in created:
        # Retained volumes and kept Secrets go with the namespace; --wait frees the node's CPU
        # requests for the next module.
        subprocess.run(
            [
                KUBECTL,
                f"--kubeconfig={cluster}",
                "delete",
                "namespace",
                kube.namespace,
                "--wait=true",
                "--timeout=180s",
            ],
            capture_output=True,
            timeout=200,
            check=False,
        )
