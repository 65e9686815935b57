"""Editing app/ never reinstalls dependencies: the rebuild takes them from the cache."""

from __future__ import annotations

import shutil
import uuid
from typing import TYPE_CHECKING

import pytest

from tests.image.harness import Docker, run
from tests.support.tiers import REPO_ROOT

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.image

BUILD_CONTEXT = ("Dockerfile", ".dockerignore", "pyproject.toml", "uv.lock", "app")


def test_rebuild_after_a_source_only_change_reuses_the_dependency_layers(
    docker: Docker, prod_image: str, tmp_path: Path
) -> None:
    for name in BUILD_CONTEXT:
        if (REPO_ROOT / name).is_dir():
            skip = shutil.ignore_patterns("__pycache__")
            shutil.copytree(REPO_ROOT / name, tmp_path / name, ignore=skip)
        else:
            shutil.copy2(REPO_ROOT / name, tmp_path / name)
    with (tmp_path / "app" / "__init__.py").open("a") as init:
        # Unique, or BuildKit would have this very app/ layer cached from a previous run.
        init.write(f"# a one-line change {uuid.uuid4()}\n")

    rebuild = docker.build(target="prod", tag="users-api-test:rebuild", context=tmp_path)
    print(f"rebuild after a one-line change to app/: {rebuild.seconds:.2f}s")
    before = docker.inspect(prod_image, ".RootFS.Layers")
    after = docker.inspect("users-api-test:rebuild", ".RootFS.Layers")
    run(docker.cli, "rmi", "users-api-test:rebuild")

    assert rebuild.reused("RUN --mount"), rebuild.output
    assert not rebuild.reused("COPY app/"), rebuild.output
    assert isinstance(before, list)
    assert isinstance(after, list)
    assert after[:-1] == before[:-1], "only the app/ layer may differ"
    assert after[-1] != before[-1]
