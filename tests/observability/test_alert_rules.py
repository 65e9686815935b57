"""The chart's alerts, checked by promtool: valid rules, and each alert fires and resolves.

Synthetic series (one sample a minute) drive each alert past its threshold for longer than its
`for:`, then back to health; promtool evaluates the real rules the chart renders.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from tests.observability.rules import SELECTOR_LABELS, alerts, write_rule_file
from tests.support.tiers import REPO_ROOT, find_tool

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.chart

API = {**SELECTOR_LABELS, "route": "/users/{id}", "method": "GET"}


def _series(name: str, labels: dict[str, str], values: str) -> dict[str, str]:
    rendered = ", ".join(f'{key}="{value}"' for key, value in labels.items())
    return {"series": f"{name}{{{rendered}}}", "values": values}


@dataclass(frozen=True)
class Case:
    """An alert, the series that make it fire, when it must fire and when it must be gone."""

    alert: str
    series: list[dict[str, str]]
    firing_at: str
    resolved_at: str
    labels: dict[str, str]


def _requests(ok_per_minute: int, errors: str) -> list[dict[str, str]]:
    return [
        _series("http_requests_total", {**API, "status": "200"}, f"0+{ok_per_minute}x1000"),
        _series("http_requests_total", {**API, "status": "500"}, errors),
        # 4xx are the client's doing and probes are not traffic: neither counts.
        _series("http_requests_total", {**API, "status": "404"}, "0+6000x1000"),
        _series(
            "http_requests_total",
            {**API, "route": "/readyz", "status": "503"},
            "0+6000x1000",
        ),
    ]


def _latency(fast_per_minute: int, slow_until: int) -> list[dict[str, str]]:
    """6000 GETs a minute, of which fast_per_minute within 0.1 s until minute slow_until."""
    after = 1000 - slow_until
    return [
        _series("http_request_duration_seconds_count", API, "0+6000x1000"),
        _series(
            "http_request_duration_seconds_bucket",
            {**API, "le": "0.1"},
            f"0+{fast_per_minute}x{slow_until} {fast_per_minute * slow_until}+6000x{after}",
        ),
    ]


POD = {**SELECTOR_LABELS, "pod": "demo-users-api-7d9f-abcde"}
CASES = [
    # 10 % of requests fail: far above 14.4 x the 0.1 % budget; stops at minute 30.
    Case(
        "UsersApiAvailabilityBudgetBurnFast",
        _requests(6000, "0+600x30 18000+0x970"),
        "20m",
        "90m",
        {**SELECTOR_LABELS, "severity": "critical"},
    ),
    # 0.5 % fail: above 3 x the budget, below 6 x; stops at hour 4.
    Case(
        "UsersApiAvailabilityBudgetBurnSlow",
        _requests(6000, "0+30x240 7200+0x760"),
        "200m",
        "660m",
        {**SELECTOR_LABELS, "severity": "warning"},
    ),
    # Half the GETs slower than 0.1 s (budget 1 %): back to fast at minute 30.
    Case(
        "UsersApiLatencyBudgetBurnFast",
        _latency(3000, 30),
        "20m",
        "90m",
        {**SELECTOR_LABELS, "severity": "critical"},
    ),
    # 4 % slow: above 3 x the 1 % budget, below 6 x; back to fast at hour 4.
    Case(
        "UsersApiLatencyBudgetBurnSlow",
        _latency(5760, 240),
        "200m",
        "660m",
        {**SELECTOR_LABELS, "severity": "warning"},
    ),
    Case(
        "UsersApiNotReady",
        [_series("users_api_ready", POD, "1x5 0x10 1x20")],
        "13m",
        "20m",
        {**POD, "severity": "warning"},
    ),
    Case(
        "UsersApiMongoDBUnavailable",
        [
            _series(
                "mongodb_operation_duration_seconds_count",
                {**SELECTOR_LABELS, "operation": "find_one", "outcome": "unavailable"},
                "0x5 0+60x10 600x30",
            ),
            _series(
                "mongodb_operation_duration_seconds_count",
                {**SELECTOR_LABELS, "operation": "find_one", "outcome": "success"},
                "0+600x45",
            ),
        ],
        "12m",
        "30m",
        {**SELECTOR_LABELS, "severity": "critical"},
    ),
    Case(
        "UsersApiPodRestarting",
        [_series("process_start_time_seconds", POD, "1000x10 2000x10 3000x10 4000x110")],
        "35m",
        "100m",
        {**POD, "severity": "warning"},
    ),
]


def _expected_annotations(rule: dict[str, Any], labels: dict[str, str]) -> dict[str, str]:
    """The rule's annotations with {{ $labels.x }} filled in, as Prometheus renders them."""

    def fill(text: str) -> str:
        return re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels[m[1]], text)

    return {key: fill(value) for key, value in rule["annotations"].items()}


def _promtool() -> Path:
    return find_tool(
        "promtool", install_hint="run `make observability-machine` (Debian prometheus)"
    )


def test_every_alert_has_a_test_case_and_a_runbook_section() -> None:
    chart_readme = (REPO_ROOT / "chart" / "README.md").read_text()
    assert {case.alert for case in CASES} == set(alerts())
    for name, rule in alerts().items():
        assert rule["annotations"]["summary"], name
        assert rule["annotations"]["description"], name
        assert f"### {name}" in chart_readme, f"no runbook section for {name} in chart/README.md"


def test_promtool_check_rules_is_clean(tmp_path: Path) -> None:
    rule_file = write_rule_file(tmp_path / "users-api.rules.yaml")
    result = subprocess.run(
        [str(_promtool()), "check", "rules", str(rule_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    print(result.stdout, result.stderr)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    assert result.stderr == ""  # lint warnings (e.g. style) would land here


def test_promtool_unit_tests_fire_and_resolve_every_alert(tmp_path: Path) -> None:
    write_rule_file(tmp_path / "users-api.rules.yaml")
    rules = alerts()
    tests = []
    for case in CASES:
        annotations = _expected_annotations(rules[case.alert], case.labels)
        tests.append(
            {
                "name": case.alert,
                "interval": "1m",
                "input_series": case.series,
                "alert_rule_test": [
                    {
                        "eval_time": case.firing_at,
                        "alertname": case.alert,
                        "exp_alerts": [{"exp_labels": case.labels, "exp_annotations": annotations}],
                    },
                    {"eval_time": case.resolved_at, "alertname": case.alert, "exp_alerts": []},
                ],
            }
        )
    test_file = tmp_path / "users-api.rules.test.yaml"
    test_file.write_text(
        yaml.safe_dump(
            {"rule_files": ["users-api.rules.yaml"], "evaluation_interval": "1m", "tests": tests},
            sort_keys=False,
        )
    )
    result = subprocess.run(
        [str(_promtool()), "test", "rules", str(test_file)],
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )
    print(result.stdout, result.stderr)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
