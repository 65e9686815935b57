"""The chart's rules and dashboard, rendered by helm: what the observability tests check."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import yaml

from tests.chart.render import NAMESPACE, RELEASE, render

if TYPE_CHECKING:
    from pathlib import Path

# `helm template demo chart --namespace users`: the series the rules select carry these.
JOB = f"{RELEASE}-users-api"
SELECTOR_LABELS = {"job": JOB, "namespace": NAMESPACE}
_ENABLED = {
    "metrics.prometheusRule.enabled": "true",
    "metrics.grafanaDashboard.enabled": "true",
}


def rendered_rule_groups() -> list[dict[str, Any]]:
    """spec.groups of the chart's PrometheusRule, with the default objectives."""
    rule = render(set_values=_ENABLED).get("PrometheusRule", JOB)
    groups: list[dict[str, Any]] = rule["spec"]["groups"]
    return groups


def write_rule_file(path: Path) -> Path:
    """The PrometheusRule's groups as a Prometheus rule file (the format promtool reads)."""
    path.write_text(yaml.safe_dump({"groups": rendered_rule_groups()}, sort_keys=False))
    return path


def alerts() -> dict[str, dict[str, Any]]:
    """Every alerting rule by name."""
    return {
        rule["alert"]: rule
        for group in rendered_rule_groups()
        for rule in group["rules"]
        if "alert" in rule
    }


def dashboard() -> dict[str, Any]:
    """The Grafana dashboard exactly as the chart's ConfigMap ships it."""
    config_map = render(set_values=_ENABLED).get("ConfigMap", f"{JOB}-dashboard")
    document: dict[str, Any] = json.loads(config_map["data"]["users-api.json"])
    return document


def panel_queries(document: dict[str, Any]) -> dict[str, str]:
    """Every panel target's PromQL, keyed `panel title / refId`."""
    return {
        f"{panel['title']} / {target['refId']}": target["expr"]
        for panel in document["panels"]
        for target in panel.get("targets", [])
    }


def variable_queries(document: dict[str, Any]) -> dict[str, str]:
    """The series selectors inside the template variables' label_values() queries."""
    found = {}
    for variable in document["templating"]["list"]:
        if variable["type"] == "query":
            match = re.fullmatch(r"label_values\((.*), \w+\)", variable["query"]["query"])
            assert match, variable
            found[f"variable {variable['name']}"] = match[1]
    return found


def expand(expr: str, values: dict[str, str]) -> str:
    """A dashboard query with Grafana's $variables replaced by concrete values."""
    for name, value in sorted(values.items(), key=lambda item: -len(item[0])):
        expr = expr.replace(f"${name}", value)
    assert "$" not in expr, expr
    return expr
