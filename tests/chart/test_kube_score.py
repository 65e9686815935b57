"""kube-score finds nothing in any rendering of the matrix, under the policy in .kube-score.yml."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from tests.chart.render import (
    KUBE_SCORE_CONFIG,
    kube_score,
    kube_score_args,
    render_text,
    scenario_values,
)

pytestmark = pytest.mark.chart

SCENARIOS = scenario_values()

# A pod that breaks several default checks, to prove the policy still bites.
UNSAFE_POD = """
apiVersion: v1
kind: Pod
metadata: {name: unsafe}
spec:
  containers:
    - name: app
      image: example/app:latest
"""


def findings(manifests: str) -> tuple[int, list[str]]:
    """kube-score's exit code and its CRITICAL/WARNING lines for some YAML."""
    result = subprocess.run(
        [
            str(kube_score()),
            "score",
            "--output-format",
            "ci",
            "--exit-one-on-warning",
            *kube_score_args(),
            "-",
        ],
        input=manifests,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    lines = [
        line for line in result.stdout.splitlines() if line.startswith(("[CRITICAL]", "[WARNING]"))
    ]
    return result.returncode, lines or result.stderr.splitlines()


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_kube_score_reports_no_findings(scenario: str) -> None:
    code, lines = findings(render_text(SCENARIOS[scenario]))
    assert code == 0, "\n".join(lines)


def test_kube_score_policy_still_flags_an_unsafe_pod() -> None:
    code, lines = findings(UNSAFE_POD)
    assert code != 0
    assert any("latest" in line or "security context" in line.lower() for line in lines), lines


def test_every_disabled_check_states_a_reason() -> None:
    config = yaml.safe_load(KUBE_SCORE_CONFIG.read_text())
    assert config["ignore-test"]
    for test, reason in config["ignore-test"].items():
        assert len(str(reason).split()) >= 8, f"{test}: say why it is disabled"
