"""One Helm release of the chart in its own namespace, and what a user checks on it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING

import yaml

from tests.chart.render import CHART_DIR
from tests.e2e.access import call

if TYPE_CHECKING:
    from pathlib import Path

    from tests.e2e.images import ClusterImages
    from tests.e2e.kube import Kube

RELEASE = "users-api"
APP = RELEASE  # the release name contains the chart name, so it is the full name
MONGODB = f"{APP}-mongodb"
# The chart authenticates /users with ServiceAccount tokens by default. The tests call as this
# account of the release's namespace (created with it), given the writer role at every install,
# as chart/templates/NOTES.txt tells a user to do.
CLIENT_ACCOUNT = "e2e-client"
AUDIENCE = "users-api"  # the chart's auth.audience
# Where client pods find their token (file `token`); a path, not a secret.
TOKEN_DIR = "/var/run/secrets/users-api"  # noqa: S105


def projected_token(expiration_seconds: int) -> tuple[dict[str, object], dict[str, object]]:
    """(volumeMount, volume) of a projected ServiceAccount token for the API's audience."""
    mount: dict[str, object] = {"name": "token", "mountPath": TOKEN_DIR}
    source = {"audience": AUDIENCE, "expirationSeconds": expiration_seconds, "path": "token"}
    volume: dict[str, object] = {
        "name": "token",
        "projected": {"sources": [{"serviceAccountToken": source}]},
    }
    return mount, volume


@dataclass(frozen=True)
class Release:
    kube: Kube
    images: ClusterImages

    def install(self, *values: str, chart: Path = CHART_DIR, upgrade: bool = False) -> None:
        role = f"auth.roles.{self.client_subject()}=writer"
        self.kube.install(
            RELEASE, *self.images.values(), role, *values, chart=chart, upgrade=upgrade
        )

    def client_subject(self) -> str:
        return f"system:serviceaccount:{self.kube.namespace}:{CLIENT_ACCOUNT}"

    def client_token(self) -> str:
        """A token of the client account for the API's audience (`kubectl create token`)."""
        return self.kube.kubectl(
            "create", "token", CLIENT_ACCOUNT, f"--audience={AUDIENCE}", "--duration=1h"
        ).strip()

    def ready_replicas(self, kind_name: str) -> tuple[int, int]:
        """(ready, desired) replicas of a Deployment or StatefulSet."""
        workload = self.kube.get(kind_name)
        return workload["status"].get("readyReplicas", 0), workload["spec"]["replicas"]

    def helm_test(self) -> str:
        return self.kube.helm("test", RELEASE, "--timeout=5m", timeout=360)

    def passwords(self) -> dict[str, str]:
        return self.kube.secret_data(MONGODB)

    def service_url(self) -> str:
        return f"http://{APP}.{self.kube.namespace}.svc:80"


def all_user_ids(base_url: str, token: str) -> set[int]:
    """Every user id the API lists, page by page."""
    ids: set[int] = set()
    after: int | None = None
    while True:
        query = "limit=1000" + (f"&after={after}" if after is not None else "")
        status, page = call("GET", f"{base_url}/users?{query}", token=token, timeout=30)
        assert status == 200, (status, page)
        assert isinstance(page, dict)
        ids.update(user["id"] for user in page["items"])
        after = page["next_after"]
        if after is None:
            return ids


def chart_with_version(destination: Path, version: str) -> Path:
    """A copy of the chart whose Chart.yaml says version (a chart upgrade, same templates)."""
    chart = destination / "users-api"
    shutil.copytree(CHART_DIR, chart)
    metadata = yaml.safe_load((chart / "Chart.yaml").read_text())
    metadata["version"] = version
    (chart / "Chart.yaml").write_text(yaml.safe_dump(metadata, sort_keys=False))
    return chart


def bumped_patch(version: str) -> str:
    major, minor, patch = version.split(".")
    return f"{major}.{minor}.{int(patch) + 1}"


def chart_version() -> str:
    version: str = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())["version"]
    return version
