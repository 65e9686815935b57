"""The Make targets of the dev loop, run for real against stand-in tools in a temporary .tools/bin.

kind, kubectl and skaffold cannot talk to a cluster here, so each stand-in records its
arguments (and, for skaffold, the environment it was started with); the recipes' own logic
(idempotent `cluster`, the scrubbed `verify` environment, checked downloads) really runs.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import subprocess
from typing import TYPE_CHECKING

import pytest

from tests.dev.project import make_variable, run_make
from tests.support.tiers import REPO_ROOT, find_tool

if TYPE_CHECKING:
    from pathlib import Path

# Records its call next to its folder; reads the cluster list there. No environment needed,
# since `make verify` starts skaffold with a scrubbed one.
FAKE_TOOL = """#!/bin/sh
root="$(dirname "$0")/.."
echo "$(basename "$0") $*" >> "$root/calls.log"
if [ "$(basename "$0") $1 $2" = "kind get clusters" ]; then cat "$root/clusters"; fi
if [ "$(basename "$0") $1" = "skaffold verify" ]; then env > "$root/verify.env"; fi
exit 0
"""
PLATFORMS = [("linux", "amd64"), ("linux", "arm64"), ("darwin", "amd64"), ("darwin", "arm64")]


class FakeTools:
    """kind, kubectl, helm and skaffold stand-ins in a temporary TOOLS_BIN."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bin = root / "bin"
        self.bin.mkdir()
        self.clusters = root / "clusters"
        self.clusters.touch()
        for name in ("kind", "kubectl", "helm", "skaffold"):
            tool = self.bin / name
            tool.write_text(FAKE_TOOL)
            tool.chmod(tool.stat().st_mode | stat.S_IXUSR)

    def make(self, *targets: str) -> list[str]:
        """Run targets with these tools; the tool calls they made, in order."""
        result = run_make(f"TOOLS={self.root}", f"TOOLS_BIN={self.bin}", *targets)
        assert result.returncode == 0, result.stdout + result.stderr
        log = self.root / "calls.log"
        return log.read_text().splitlines() if log.exists() else []

    def verify_environment(self) -> str:
        return (self.root / "verify.env").read_text()


@pytest.fixture
def tools(tmp_path: Path) -> FakeTools:
    return FakeTools(tmp_path)


def test_help_lists_the_dev_targets_under_their_heading() -> None:
    result = run_make("help")
    text = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    section = text.split("Develop on Kubernetes", 1)[1].split("\n\n", 1)[0]
    listed = re.findall(r"^\s+(\S+)\s+\S", section, flags=re.MULTILINE)
    assert {"tools", "cluster", "dev", "deploy", "down", "logs"} <= set(listed)


@pytest.mark.parametrize(("os_name", "arch"), PLATFORMS)
def test_tools_dry_run_installs_each_pinned_tool_for_the_platform(
    tmp_path: Path, os_name: str, arch: str
) -> None:
    bin_dir = tmp_path / "bin"
    result = run_make(
        "-n", f"TOOLS_BIN={bin_dir}", f"DEV_OS={os_name}", f"DEV_ARCH={arch}", "tools"
    )
    assert result.returncode == 0, result.stderr
    kubectl, skaffold = make_variable("KUBECTL_VERSION"), make_variable("SKAFFOLD_VERSION")
    expected = [
        f"GOBIN={bin_dir} go install sigs.k8s.io/kind@{make_variable('KIND_VERSION')}",
        f"GOBIN={bin_dir} go install helm.sh/helm/v3/cmd/helm@{make_variable('HELM_VERSION')}",
        (
            f"k8s-dev/fetch-release-binary https://dl.k8s.io/release/{kubectl}/bin/{os_name}/{arch}"
            f"/kubectl {bin_dir}/kubectl"
        ),
        (
            f"SKAFFOLD_CACHE={make_variable('SKAFFOLD_CACHE')} scripts/install-skaffold"
            f" {skaffold} {bin_dir}"
        ),
    ]
    assert sorted(result.stdout.splitlines()) == sorted(expected)


def test_versions_are_pinned_releases() -> None:
    for name in ("KIND_VERSION", "KUBECTL_VERSION", "SKAFFOLD_VERSION", "HELM_VERSION"):
        assert re.fullmatch(r"v\d+\.\d+\.\d+", make_variable(name)), name


def test_this_machine_maps_to_a_published_platform() -> None:
    assert (make_variable("DEV_OS"), make_variable("DEV_ARCH")) in PLATFORMS


def publish(directory: Path, content: bytes, checksum: str | None = None) -> str:
    """A release binary and its .sha256 (kubectl's bare format) as file:// URLs."""
    binary = directory / "tool-linux-amd64"
    binary.write_bytes(content)
    digest = checksum or hashlib.sha256(content).hexdigest()
    (directory / "tool-linux-amd64.sha256").write_text(f"{digest}  tool-linux-amd64\n")
    return binary.as_uri()


def run_fetch(url: str, dest: Path) -> tuple[int, str]:
    find_tool("curl", install_hint="install curl (make tools downloads with it)")
    script = REPO_ROOT / "k8s-dev" / "fetch-release-binary"
    result = subprocess.run(
        [str(script), url, str(dest)], capture_output=True, text=True, check=False, timeout=60
    )
    return result.returncode, result.stdout + result.stderr


def test_fetch_installs_a_binary_that_matches_its_published_checksum(tmp_path: Path) -> None:
    url = publish(tmp_path, b"#!/bin/sh\necho 1.2.3\n")
    dest = tmp_path / "bin" / "tool"
    code, output = run_fetch(url, dest)
    assert code == 0, output
    assert dest.read_bytes() == b"#!/bin/sh\necho 1.2.3\n"
    assert os.access(dest, os.X_OK)


@pytest.mark.parametrize("checksum", ["0" * 64, "not-a-digest"])
def test_fetch_refuses_a_binary_whose_checksum_differs(tmp_path: Path, checksum: str) -> None:
    url = publish(tmp_path, b"tampered", checksum)
    dest = tmp_path / "bin" / "tool"
    code, output = run_fetch(url, dest)
    assert code != 0
    assert "checksum" in output or "digest" in output
    assert list((tmp_path / "bin").iterdir()) == []  # nothing half-installed for make to trust


def test_fetch_fails_when_the_download_fails(tmp_path: Path) -> None:
    code, _ = run_fetch((tmp_path / "missing").as_uri(), tmp_path / "bin" / "tool")
    assert code != 0
    assert not (tmp_path / "bin" / "tool").exists()


def test_cluster_creates_the_kind_cluster_from_its_config_when_absent(tools: FakeTools) -> None:
    calls = tools.make("cluster")
    assert "kind create cluster --config k8s-dev/kind-config.yaml --wait 120s" in calls
    assert f"kubectl --context {make_variable('KUBE_CONTEXT')} get nodes" in calls


def test_cluster_is_idempotent_when_the_cluster_exists(tools: FakeTools) -> None:
    tools.clusters.write_text("other\nusers-dev\n")
    calls = tools.make("cluster")
    assert not [call for call in calls if call.startswith("kind create")]
    assert "kind export kubeconfig --name users-dev" in calls


def test_dev_deploy_logs_and_down_drive_the_tools_against_the_kind_context(
    tools: FakeTools,
) -> None:
    tools.clusters.write_text("users-dev\n")
    context = make_variable("KUBE_CONTEXT")
    calls = tools.make("dev", "deploy", "logs", "down")
    assert f"skaffold dev --profile dev --kube-context {context} --port-forward=user" in calls
    assert f"skaffold run --kube-context {context}" in calls
    assert any(c.startswith(f"kubectl --context {context} logs --follow") for c in calls)
    assert "kind delete cluster --name users-dev" in calls


def test_verify_starts_skaffold_without_the_callers_secrets(
    tools: FakeTools, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEV_TEST_SECRET", "s3cr3t")
    calls = tools.make("verify")
    build, verify = (c for c in calls if c.startswith("skaffold "))
    assert build.startswith("skaffold build ")
    output = build.split("--file-output=")[1].split()[0]
    assert f"--build-artifacts={output}" in verify.split()
    environment = tools.verify_environment()
    assert "DEV_TEST_SECRET" not in environment
    assert re.search(r"^HOME=", environment, flags=re.MULTILINE)


def test_skaffold_wrapper_module_builds_the_pinned_version() -> None:
    go_mod = (REPO_ROOT / "k8s-dev" / "skaffold" / "go.mod").read_text()
    required = re.search(
        r"^\s*github\.com/GoogleContainerTools/skaffold/v2 (\S+)", go_mod, re.MULTILINE
    )

    assert required, "k8s-dev/skaffold/go.mod does not require Skaffold"
    assert required.group(1) == make_variable("SKAFFOLD_VERSION")
