"""skaffold.yaml against the Dockerfile: targets, BuildKit, build context and file sync.

The reload itself (a synced file changes what the dev container serves) runs for real in
tests/image; here the sync rules are checked to put each file where that container reads it.
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

import pytest

from tests.dev.project import (
    DOCKERIGNORE,
    dockerfile_stages,
    render_release,
    skaffold_config,
    with_profile,
)
from tests.support.tiers import REPO_ROOT

if TYPE_CHECKING:
    from pathlib import Path

    from tests.dev.project import Config, Stage

CONFIG = skaffold_config()
DEV = with_profile(CONFIG, "dev")
EFFECTIVE = {"default": CONFIG, "dev": DEV}
STAGES = dockerfile_stages()


def docker_artifacts(config: Config) -> list[Config]:
    return [a for a in config["build"]["artifacts"] if "docker" in a]


def sync_landing(rule: Config, source: Path, workdir: str) -> str:
    """Where Skaffold writes a synced file: dest (relative to WORKDIR) + path minus strip."""
    relative = source.relative_to(REPO_ROOT).as_posix()
    strip = rule.get("strip", "")
    assert relative.startswith(strip), (relative, strip)
    return posixpath.normpath(posixpath.join(workdir, rule["dest"], relative[len(strip) :]))


def copied_to(stage: Stage, source: Path) -> str | None:
    """Where the stage's COPY from the build context puts a file, if any COPY covers it."""
    relative = source.relative_to(REPO_ROOT).as_posix()
    for sources, destination, _ in stage.copies:
        for src in sources:
            directory = src.rstrip("/") + "/"
            if relative.startswith(directory):
                return posixpath.join(destination, relative[len(directory) :])
    return None


def ignore_pattern(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as a regex: `**/` any directories, `*` and `?` within one."""
    regex, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            regex, i = regex + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            regex, i = regex + ".*", i + 2
        elif pattern[i] in "*?":
            regex, i = regex + ("[^/]*" if pattern[i] == "*" else "[^/]"), i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            regex, i = regex + pattern[i : end + 1], end + 1
        else:
            regex, i = regex + re.escape(pattern[i]), i + 1
    return re.compile(regex + "$")


def dockerignore_excludes(relative: str) -> bool:
    """Whether .dockerignore keeps a path out of the build context (the last match wins;
    a pattern that matches a directory covers everything in it)."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    excluded = False
    for line in DOCKERIGNORE.read_text().splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        regex = ignore_pattern(pattern.removeprefix("!").rstrip("/"))
        if any(regex.match(prefix) for prefix in prefixes):
            excluded = not pattern.startswith("!")
    return excluded


@pytest.mark.parametrize("profile", EFFECTIVE)
def test_every_dockerfile_target_named_exists(profile: str) -> None:
    for artifact in docker_artifacts(EFFECTIVE[profile]):
        target = artifact["docker"]["target"]
        assert target in STAGES, f"{artifact['image']}: no stage {target!r} in the Dockerfile"
        assert artifact["docker"].get("dockerfile", "Dockerfile") == "Dockerfile"


def test_default_builds_prod_and_the_dev_profile_builds_dev() -> None:
    assert [a["docker"]["target"] for a in docker_artifacts(CONFIG)] == ["prod"]
    assert [a["docker"]["target"] for a in docker_artifacts(DEV)] == ["dev"]


def test_dev_profile_changes_only_the_target_and_sync() -> None:
    # A profile's `build:` block would replace the whole section (tag policy, local, other
    # artifacts); the patches must leave everything else as the default has it.
    dev_artifact = dict(DEV["build"]["artifacts"][0])
    dev_artifact.pop("sync")
    dev_artifact["docker"] = {**dev_artifact["docker"], "target": "prod"}
    assert dev_artifact == CONFIG["build"]["artifacts"][0]
    assert {k: v for k, v in DEV["build"].items() if k != "artifacts"} == {
        k: v for k, v in CONFIG["build"].items() if k != "artifacts"
    }
    assert {k: v for k, v in DEV.items() if k != "build"} == {
        k: v for k, v in CONFIG.items() if k not in {"build", "profiles"}
    }


def test_dev_profile_is_active_for_skaffold_dev() -> None:
    (profile,) = [p for p in CONFIG["profiles"] if p["name"] == "dev"]
    assert {"command": "dev"} in profile["activation"]


@pytest.mark.parametrize("profile", EFFECTIVE)
def test_buildkit_is_on_because_the_dockerfile_mounts_in_run(profile: str) -> None:
    assert any(stage.run_mounts for stage in STAGES.values())
    assert EFFECTIVE[profile]["build"]["local"]["useBuildkit"] is True


def test_only_the_dev_target_syncs_files() -> None:
    assert all("sync" not in artifact for artifact in CONFIG["build"]["artifacts"])
    assert all("sync" in artifact for artifact in docker_artifacts(DEV))


def test_sync_rules_match_files_and_land_where_the_dev_stage_reads_the_code() -> None:
    for artifact in docker_artifacts(DEV):
        stage = STAGES[artifact["docker"]["target"]]
        # watchfiles watches its last argument, relative to WORKDIR, and restarts the app.
        watched = posixpath.join(stage.workdir, stage.entrypoint[-1])
        for rule in artifact["sync"]["manual"]:
            matched = sorted(REPO_ROOT.glob(rule["src"]))
            assert matched, f"sync src {rule['src']!r} matches no file"
            for source in matched:
                landing = sync_landing(rule, source, stage.workdir)
                assert landing == copied_to(stage, source), source
                assert landing.startswith(watched + "/"), (landing, watched)


def test_dev_stage_code_is_writable_by_the_user_that_sync_runs_as() -> None:
    dev = STAGES["dev"]
    owners = {chown for _, _, chown in dev.copies if chown}
    assert owners == {dev.user}, (owners, dev.user)
    container = render_release().get("Deployment", "users-api")["spec"]["template"]["spec"]
    (app,) = [c for c in container["containers"] if c["name"] == "users-api"]
    # `kubectl exec ... tar` cannot write into a read-only root filesystem.
    assert app["securityContext"]["readOnlyRootFilesystem"] is False
    assert str(app["securityContext"]["runAsUser"]) == dev.user.split(":")[0]


def test_build_context_keeps_caches_and_venvs_out_but_takes_synced_sources() -> None:
    for path in [".venv/bin/python", ".tools/bin/helm", ".git/HEAD", "app/__pycache__/main.pyc"]:
        assert dockerignore_excludes(path), f"{path} would enter the build context"
    assert dockerignore_excludes(".mypy_cache/x.json")
    for artifact in docker_artifacts(DEV):
        for rule in artifact["sync"]["manual"]:
            for source in REPO_ROOT.glob(rule["src"]):
                relative = source.relative_to(REPO_ROOT).as_posix()
                assert not dockerignore_excludes(relative), relative
