"""Driving the local cluster from tests: kubectl and helm in one namespace, bounded waits."""

from __future__ import annotations

import base64
import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.chart.render import CHART_DIR

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

# Fixed by scripts/local-cluster (one cluster per machine); `local-cluster status` prints them.
STATE_DIR = Path("/var/lib/users-api-cluster")
KUBECONFIG = STATE_DIR / "kubeconfig"
READY_FILE = STATE_DIR / "READY"
KUBECTL = Path("/var/cache/users-api/cluster/bin/kubectl")


def run(argv: Sequence[str | Path], *, timeout: float, stdin: str | None = None) -> str:
    """Run a command; fail the test with its output when it fails or overruns."""
    try:
        done = subprocess.run(
            [str(arg) for arg in argv],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"{' '.join(map(str, argv[:5]))} ... overran {timeout:.0f}s: {error.stderr!r}")
    if done.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, argv[:6]))} ... exited {done.returncode}:\n"
            f"{(done.stdout + done.stderr)[-4000:]}",
            pytrace=False,
        )
    return done.stdout


def eventually(check: Callable[[], bool], *, within: float, what: str, every: float = 1.0) -> float:
    """Poll check until it returns True; the seconds it took, or fail naming what."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > within:
            pytest.fail(f"timed out after {within:.0f}s waiting for {what}", pytrace=False)
        time.sleep(every)
    return time.monotonic() - started


@dataclass(frozen=True)
class Kube:
    """kubectl and helm bound to the cluster's kubeconfig and one namespace."""

    namespace: str
    helm_path: Path

    def kubectl(self, *args: str, timeout: float = 60, stdin: str | None = None) -> str:
        argv: list[str | Path] = [KUBECTL, f"--kubeconfig={KUBECONFIG}", f"-n={self.namespace}"]
        return run([*argv, *args], timeout=timeout, stdin=stdin)

    def attempt(self, *args: str, timeout: float = 60) -> bool:
        """Run kubectl where failing is an answer, not an error; whether it succeeded."""
        argv: list[str | Path] = [KUBECTL, f"--kubeconfig={KUBECONFIG}", f"-n={self.namespace}"]
        done = subprocess.run([*argv, *args], capture_output=True, timeout=timeout, check=False)
        return done.returncode == 0

    def get(self, *args: str) -> Any:
        """`kubectl get ... -o json`, decoded."""
        return json.loads(self.kubectl("get", *args, "--output=json"))

    def helm(self, *args: str, timeout: float = 600) -> str:
        argv: list[str | Path] = [self.helm_path, f"--kubeconfig={KUBECONFIG}"]
        return run([*argv, f"--namespace={self.namespace}", *args], timeout=timeout)

    def install(
        self, release: str, *values: str, chart: Path = CHART_DIR, upgrade: bool = False
    ) -> str:
        """`helm install|upgrade --wait` with --set values; generous, bounded timeouts."""
        verb = ["upgrade"] if upgrade else ["install"]
        flags = [f"--set={value}" for value in values]
        return self.helm(*verb, release, str(chart), "--wait", "--timeout=8m", *flags, timeout=540)

    def secret_data(self, name: str) -> dict[str, str]:
        data = self.get("secret", name)["data"]
        return {key: base64.b64decode(value).decode() for key, value in data.items()}

    def rollout_status(self, kind_name: str, *, within: int = 480) -> None:
        self.kubectl("rollout", "status", kind_name, f"--timeout={within}s", timeout=within + 30)

    def logs_on_failure(self) -> str:
        """Pods, events and recent logs of the namespace, for a failure message."""
        parts = []
        for argv in (
            ["get", "pods,pvc,endpointslices", "-o", "wide"],
            ["get", "events", "--sort-by=.lastTimestamp"],
        ):
            done = subprocess.run(
                [KUBECTL, f"--kubeconfig={KUBECONFIG}", f"-n={self.namespace}", *argv],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            parts.append(done.stdout[-3000:] + done.stderr[-500:])
        return "\n".join(parts)


def encode_json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))
