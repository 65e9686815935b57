"""Images for the e2e tier: built by the project's own recipes, then copied into the cluster.

No registry can be pulled from here, so the tier builds the app image from the
Dockerfile (on the stand-in bases, as `make image STANDIN=1` does) and the
MongoDB stand-in, and copies both into the cluster's containerd with
`scripts/local-cluster load-image` (root). Tags are content-derived, so a
changed tree never runs a stale image under the same name.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass

from tests.e2e.kube import run
from tests.image.harness import docker_engine
from tests.support.tiers import REPO_ROOT, unavailable

LOCAL_CLUSTER = REPO_ROOT / "scripts" / "local-cluster"


@dataclass(frozen=True)
class ClusterImages:
    """Image references as chart values: --set flags for the app and the MongoDB stand-in."""

    app_repository: str
    app_tag: str
    mongodb_repository: str
    mongodb_tag: str

    def values(self) -> list[str]:
        """The values every e2e install changes from the chart's defaults: the images."""
        return [
            f"image.repository={self.app_repository}",
            f"image.tag={self.app_tag}",
            "mongodb.image.registry=docker.io",
            f"mongodb.image.repository={self.mongodb_repository}",
            f"mongodb.image.tag={self.mongodb_tag}",
        ]


def split_reference(reference: str) -> tuple[str, str]:
    repository, _, tag = reference.rpartition(":")
    return repository, tag


def app_image() -> str:
    """The Dockerfile's prod target, tagged by its image ID."""
    docker = docker_engine()
    docker.build(target="prod", tag="users-api-e2e:build")
    image_id = run(
        [docker.cli, "image", "inspect", "--format={{.Id}}", "users-api-e2e:build"], timeout=30
    )
    reference = f"users-api-e2e:{image_id.strip().removeprefix('sha256:')[:12]}"
    run([docker.cli, "tag", "users-api-e2e:build", reference], timeout=30)
    return reference


def mongodb_image() -> str:
    """The MongoDB stand-in (FerretDB behind the official image's contract), built by make."""
    done = subprocess.run(
        ["make", "-s", "--no-print-directory", "mongo-standin"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode:
        unavailable(f"`make mongo-standin` failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1]


def build_and_load() -> ClusterImages:
    if os.geteuid() != 0:
        unavailable("loading images into the local cluster's containerd needs root")
    app, mongodb = app_image(), mongodb_image()
    run([LOCAL_CLUSTER, "load-image", app, mongodb], timeout=600)
    app_repository, app_tag = split_reference(app)
    mongodb_repository, mongodb_tag = split_reference(mongodb)
    return ClusterImages(app_repository, app_tag, mongodb_repository, mongodb_tag)
