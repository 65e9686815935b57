"""Render the Helm chart and read the results: the chart tests' one door to helm and kube-score.

Also a tiny CLI for the Makefile, so `make chart-score` and the tests share one kube-score
policy: `python -m tests.chart.render kube-score-args` prints the flags from .kube-score.yml.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from tests.support.tiers import REPO_ROOT, find_tool

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

CHART_DIR = REPO_ROOT / "chart"
KUBE_SCORE_CONFIG = REPO_ROOT / ".kube-score.yml"
RELEASE = "demo"
NAMESPACE = "users"
# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion); helm built from source
# otherwise assumes v1.20 and refuses the chart.
KUBE_VERSION = "1.29.0"

Manifest = dict[str, Any]


def scenario_values() -> dict[str, Path | None]:
    """Every value set of the matrix: the chart defaults plus one per chart/ci/*-values.yaml."""
    scenarios: dict[str, Path | None] = {"default": None}
    for path in sorted((CHART_DIR / "ci").glob("*-values.yaml")):
        scenarios[path.name.removesuffix("-values.yaml")] = path
    return scenarios


def helm() -> Path:
    """The pinned helm, or skip (fail in CI)."""
    return find_tool("helm", install_hint="run `make tools-chart`")


def kube_score() -> Path:
    """The pinned kube-score, or skip (fail in CI)."""
    return find_tool("kube-score", install_hint="run `make tools-chart`")


def run_helm(*args: str) -> subprocess.CompletedProcess[str]:
    """Run helm with the given arguments, capturing output; never raises on failure."""
    return subprocess.run(
        [str(helm()), *args], capture_output=True, text=True, check=False, timeout=120
    )


def template_args(
    values_file: Path | None = None, *, set_values: Mapping[str, str] | None = None
) -> list[str]:
    """Arguments shared by `helm template` and `helm lint` for one value set."""
    args = ["--kube-version", KUBE_VERSION]
    if values_file is not None:
        args += ["--values", str(values_file)]
    for key, value in (set_values or {}).items():
        args += ["--set", f"{key}={value}"]
    return args


def render_text(
    values_file: Path | None = None,
    *,
    set_values: Mapping[str, str] | None = None,
    release: str = RELEASE,
    chart_dir: Path = CHART_DIR,
) -> str:
    """`helm template` output for a value set (hooks included); fails the test on an error."""
    result = run_helm(
        "template",
        release,
        str(chart_dir),
        "--namespace",
        NAMESPACE,
        *template_args(values_file, set_values=set_values),
    )
    if result.returncode != 0:
        message = f"helm template failed:\n{result.stderr}"
        raise AssertionError(message)
    return result.stdout


@dataclass(frozen=True)
class Rendered:
    """The objects of one rendering, with look-ups by kind and name."""

    manifests: list[Manifest]

    def of_kind(self, kind: str) -> list[Manifest]:
        """Every object of a kind, in rendering order."""
        return [m for m in self.manifests if m["kind"] == kind]

    def get(self, kind: str, name: str) -> Manifest:
        """The object of that kind and name; fails listing what exists."""
        for manifest in self.of_kind(kind):
            if manifest["metadata"]["name"] == name:
                return manifest
        names = [m["metadata"]["name"] for m in self.of_kind(kind)]
        message = f"no {kind} named {name!r}; rendered: {names}"
        raise AssertionError(message)

    def has(self, kind: str, name: str) -> bool:
        """Whether an object of that kind and name was rendered."""
        return any(m["metadata"]["name"] == name for m in self.of_kind(kind))


def render(
    values_file: Path | None = None,
    *,
    set_values: Mapping[str, str] | None = None,
    release: str = RELEASE,
    chart_dir: Path = CHART_DIR,
) -> Rendered:
    """Render and parse a value set (optionally another release name, or a copy of the chart)."""
    text = render_text(values_file, set_values=set_values, release=release, chart_dir=chart_dir)
    return Rendered([doc for doc in yaml.safe_load_all(text) if doc])


def selects(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """Whether a matchLabels selector selects an object with these labels."""
    return all(labels.get(key) == value for key, value in selector.items())


def kube_score_args(config_path: Path = KUBE_SCORE_CONFIG) -> list[str]:
    """kube-score flags from the committed policy file."""
    config = yaml.safe_load(config_path.read_text())
    args = ["--kubernetes-version", str(config["kubernetes-version"])]
    for test in config.get("enable-optional-test", []):
        args += ["--enable-optional-test", test]
    if config.get("ignore-container-cpu-limit"):
        args.append("--ignore-container-cpu-limit")
    ignored: Iterable[str] = config.get("ignore-test", {})
    for test in ignored:
        args += ["--ignore-test", test]
    return args


def main(argv: list[str]) -> int:
    """CLI for the Makefile: `kube-score-args` prints the policy flags, one per line."""
    if argv != ["kube-score-args"]:
        print("usage: python -m tests.chart.render kube-score-args", file=sys.stderr)
        return 2
    print("\n".join(kube_score_args()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
