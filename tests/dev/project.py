"""Read the dev-loop files the way their tools do: Skaffold profiles, Dockerfile stages, Make.

Rendering and kube-score go through tests/chart (render.py and its test helpers); this
module only adds what the dev loop needs on top: the Skaffold release name and the dev values.
"""

from __future__ import annotations

import copy
import json
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from tests.chart.render import CHART_DIR, Rendered, run_helm, template_args
from tests.support.tiers import REPO_ROOT, find_tool

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

SKAFFOLD_FILE = REPO_ROOT / "skaffold.yaml"
SKAFFOLD_SCHEMA = REPO_ROOT / "tests" / "dev" / "skaffold-v4beta13.json"
KIND_CONFIG = REPO_ROOT / "k8s-dev" / "kind-config.yaml"
DEV_VALUES = REPO_ROOT / "k8s-dev" / "values-dev.yaml"
DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"

Config = dict[str, Any]


def skaffold_config() -> Config:
    """skaffold.yaml as written (no profile applied)."""
    loaded: Config = yaml.safe_load(SKAFFOLD_FILE.read_text())
    return loaded


def with_profile(config: Config, name: str) -> Config:
    """The effective config with one profile's JSON patches applied, as `skaffold -p` does."""
    profiles = {profile["name"]: profile for profile in config.get("profiles", [])}
    effective = copy.deepcopy({k: v for k, v in config.items() if k != "profiles"})
    for patch in profiles[name].get("patches", []):
        apply_patch(effective, patch)
    return effective


def apply_patch(document: Config, patch: Mapping[str, Any]) -> None:
    """Apply one RFC 6902 add/replace/remove operation in place; a bad path raises."""
    *parents, last = [
        part.replace("~1", "/").replace("~0", "~") for part in patch["path"][1:].split("/")
    ]
    target: Any = document
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    key: Any = int(last) if isinstance(target, list) and last != "-" else last
    if patch["op"] == "replace":
        if isinstance(target, dict) and key not in target:
            message = f"JSON patch replaces a member that does not exist: {patch['path']}"
            raise AssertionError(message)
        target[key] = patch["value"]
    elif patch["op"] == "add":
        if isinstance(target, list):
            target.insert(len(target) if key == "-" else key, patch["value"])
        else:
            target[key] = patch["value"]
    elif patch["op"] == "remove":
        del target[key]
    else:
        message = f"unsupported JSON patch op in skaffold.yaml: {patch['op']}"
        raise AssertionError(message)


def helm_release(config: Config) -> Config:
    """The one Helm release of deploy.helm."""
    releases: list[Config] = config["deploy"]["helm"]["releases"]
    assert len(releases) == 1, releases
    return releases[0]


def render_release(*, set_values: Mapping[str, str] | None = None) -> Rendered:
    """`helm template` as Skaffold deploys: its release name, the dev values, in `default`."""
    release = helm_release(skaffold_config())
    assert REPO_ROOT / release["chartPath"] == CHART_DIR
    (values_file,) = (REPO_ROOT / path for path in release["valuesFiles"])
    result = run_helm(
        "template",
        release["name"],
        str(CHART_DIR),
        *template_args(values_file, set_values=set_values),
    )
    assert result.returncode == 0, result.stderr
    return Rendered([doc for doc in yaml.safe_load_all(result.stdout) if doc])


def make_variable(name: str) -> str:
    """A variable's value as the Makefile (with mk/*.mk) defines it."""
    result = run_make("--eval", "_print-%: ; @echo $($*)", f"_print-{name}")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def run_make(*args: str) -> subprocess.CompletedProcess[str]:
    """make in the repository root, silent about directories; never raises on failure."""
    make = find_tool("make", install_hint="install GNU make")
    return subprocess.run(
        [str(make), "--no-print-directory", "-C", str(REPO_ROOT), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@dataclass
class Stage:
    """One build stage of the Dockerfile, with what it inherits from its base stage."""

    name: str
    base: str
    workdir: str = "/"
    user: str = ""
    copies: list[tuple[list[str], str, str]] = field(default_factory=list)  # (src, dst, chown)
    entrypoint: list[str] = field(default_factory=list)
    run_mounts: bool = False


def dockerfile_stages(path: Path = DOCKERFILE) -> dict[str, Stage]:
    """Stages by name; WORKDIR and USER carry over from a stage built FROM another."""
    stages: dict[str, Stage] = {}
    current: Stage | None = None
    for instruction, rest in _instructions(path.read_text()):
        if instruction == "FROM":
            words = rest.split()
            base, name = words[0], words[2] if len(words) == 3 else words[0]
            current = copy.deepcopy(stages[base]) if base in stages else Stage(name, base)
            current.name, current.base, current.copies = name, base, []
            stages[name] = current
        elif current is None:
            continue
        elif instruction == "WORKDIR":
            current.workdir = rest if rest.startswith("/") else f"{current.workdir}/{rest}"
        elif instruction == "USER":
            current.user = rest
        elif instruction == "ENTRYPOINT":
            current.entrypoint = json.loads(rest)
        elif instruction == "RUN" and "--mount=" in rest:
            current.run_mounts = True
        elif instruction == "COPY" and "--from=" not in rest:
            words = shlex.split(rest)
            flags = dict(w[2:].split("=", 1) for w in words if w.startswith("--"))
            paths = [w for w in words if not w.startswith("--")]
            current.copies.append((paths[:-1], paths[-1], flags.get("chown", "")))
    return stages


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    logical = re.sub(
        r"\\\n",
        " ",
        "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")),
    )
    pairs = []
    for line in logical.splitlines():
        if line.strip():
            instruction, _, rest = line.strip().partition(" ")
            pairs.append((instruction.upper(), rest.strip()))
    return pairs
