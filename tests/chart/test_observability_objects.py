"""The chart's observability options: tracing settings, collector egress, dashboard, rules."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.chart.render import RELEASE

if TYPE_CHECKING:
    from tests.chart.render import Rendered

pytestmark = pytest.mark.chart

APP = f"{RELEASE}-users-api"


def _egress_ports(rendered: Rendered) -> set[int]:
    egress = rendered.get("NetworkPolicy", APP)["spec"]["egress"]
    return {port["port"] for rule in egress for port in rule.get("ports", [])}


def test_tracing_is_off_by_default(default_render: Rendered) -> None:
    config = default_render.get("ConfigMap", APP)["data"]
    assert not [key for key in config if key.startswith("OTEL_")]
    assert not default_render.has("ConfigMap", f"{APP}-dashboard")
    assert not default_render.of_kind("PrometheusRule")


def test_tracing_endpoint_sets_otel_variables_and_opens_egress_to_its_port(
    rendered_scenarios: dict[str, Rendered],
) -> None:
    rendered = rendered_scenarios["observability"]
    config = rendered.get("ConfigMap", APP)["data"]
    assert config["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector.observability:4318"
    assert config["OTEL_SERVICE_NAME"] == APP
    assert config["OTEL_TRACES_SAMPLER"] == "parentbased_always_on"
    assert 4318 in _egress_ports(rendered)


def test_an_https_endpoint_without_a_port_opens_443(
    rendered_scenarios: dict[str, Rendered],
) -> None:
    rendered = rendered_scenarios["tracing-https"]
    assert rendered.get("ConfigMap", APP)["data"]["OTEL_TRACES_SAMPLER_ARG"] == "0.01"
    assert 443 in _egress_ports(rendered)


def test_dashboard_config_map_carries_the_sidecar_label_and_valid_json(
    rendered_scenarios: dict[str, Rendered],
) -> None:
    config_map = rendered_scenarios["observability"].get("ConfigMap", f"{APP}-dashboard")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert config_map["metadata"]["annotations"] == {"grafana_folder": "users"}
    dashboard = json.loads(config_map["data"]["users-api.json"])
    variables = {variable["name"] for variable in dashboard["templating"]["list"]}
    assert {"namespace", "pod"} <= variables


def test_rule_objectives_follow_the_values(rendered_scenarios: dict[str, Rendered]) -> None:
    rule = rendered_scenarios["tracing-https"].get("PrometheusRule", APP)
    exprs = "\n".join(r["expr"] for group in rule["spec"]["groups"] for r in group["rules"])
    assert 'le="0.05"' in exprs
    assert 'le="0.1"' not in exprs
    assert "(14.4 * 0.005)" in exprs  # 99.5 % of GETs: a 0.5 % budget
