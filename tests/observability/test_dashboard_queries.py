"""Every dashboard query and every rule, evaluated by a real Prometheus scraping the service.

Prometheus (Debian's server) scrapes `python -m app` against FerretDB every second while a short,
bounded load runs, with the chart's rules loaded. Then each panel query, each variable query and
each recording rule must be valid and return series, and each alert expression must be valid with
every metric it reads present: a renamed metric fails here. The target carries the `namespace`
and `pod` labels a ServiceMonitor would add. Alerts only fire on bad days, so their firing is
proven by promtool on synthetic series (test_alert_rules.py), not here.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from tests.observability.rules import (
    JOB,
    SELECTOR_LABELS,
    dashboard,
    expand,
    panel_queries,
    rendered_rule_groups,
    variable_queries,
    write_rule_file,
)
from tests.support.app_process import AppProcess, local_env
from tests.support.blocking_http import call
from tests.support.ports import free_port
from tests.support.prometheus import Prometheus, ScrapeTarget
from tests.support.tiers import find_tool

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.chart

POD = "demo-users-api-5c8d7-xk2lq"
REQUESTS = 300  # the bounded load: a few hundred calls, a few seconds
GRAFANA_VARIABLES = {
    "namespace": SELECTOR_LABELS["namespace"],
    "pod": POD,
    "__rate_interval": "1m",
}


@pytest.fixture(scope="module")
def prometheus(ferretdb_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    """The service under a short load, scraped by Prometheus with the chart's rules."""
    binary = find_tool("prometheus", install_hint="run `make observability-machine`")
    work = tmp_path_factory.mktemp("prometheus")
    # Tracing on, towards a port nobody listens on: exemplars exist and spans are dropped,
    # so the span-drop panel has series too.
    env = local_env(
        ferretdb_uri,
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{free_port()}",
        OTEL_EXPORTER_OTLP_TIMEOUT="1",
    )
    app = AppProcess(env, work / "app.log")
    app.start()
    server = Prometheus(
        binary,
        work,
        target=ScrapeTarget(
            job=JOB,
            address=app.base_url.removeprefix("http://"),
            labels={"namespace": SELECTOR_LABELS["namespace"], "pod": POD},
        ),
        rule_files=[write_rule_file(work / "users-api.rules.yaml")],
    )
    try:
        app.wait_until("/readyz", 200)
        server.start()
        server.wait_for_series(f'up{{job="{JOB}"}} == 1')
        _bounded_load(app.base_url)
        # Two more scrapes after the load, and rules evaluated over them.
        server.wait_for_series("namespace_job:users_api_slow_gets:ratio_rate5m")
        yield server
    finally:
        server.stop()
        app.stop()


def _bounded_load(base_url: str) -> None:
    """REQUESTS calls over every route family: creates, reads, misses, lists, probes."""
    run = uuid.uuid4().int % 1_000_000
    for number in range(REQUESTS // 6):
        user_id = run * 1000 + number
        body = json.dumps({"id": user_id, "name": f"load {number}"}).encode()
        assert call("POST", base_url + "/users", body)[0] == 201
        assert call("GET", base_url + f"/users/{user_id}")[0] == 200
        assert call("PUT", base_url + f"/users/{user_id}", b'{"name": "renamed"}')[0] == 200
        assert call("GET", base_url + "/users/999999999999")[0] == 404
        assert call("GET", base_url + "/users?limit=5")[0] == 200
        assert call("GET", base_url + "/readyz")[0] == 200


def _queries() -> dict[str, str]:
    document = dashboard()
    found = {**panel_queries(document), **variable_queries(document)}
    return {name: expand(expr, GRAFANA_VARIABLES) for name, expr in found.items()}


@pytest.mark.parametrize(
    "expr", [pytest.param(expr, id=name) for name, expr in sorted(_queries().items())]
)
def test_dashboard_query_is_valid_and_returns_series(prometheus: Prometheus, expr: str) -> None:
    answer = prometheus.query(expr)
    assert answer["status"] == "success", answer
    assert answer["data"]["result"], f"no series: {expr}"


def _rules(kind: str) -> list[dict[str, Any]]:
    return [rule for group in rendered_rule_groups() for rule in group["rules"] if kind in rule]


@pytest.mark.parametrize("rule", _rules("record"), ids=lambda rule: rule["record"])
def test_recording_rule_is_healthy_and_records_series(
    prometheus: Prometheus, rule: dict[str, Any]
) -> None:
    answer = prometheus.query(rule["expr"])
    assert answer["status"] == "success", answer
    assert answer["data"]["result"], rule["expr"]
    assert prometheus.query(rule["record"])["data"]["result"]


_METRIC = re.compile(r"\b([a-z_:][a-z0-9_:]*)\{")


@pytest.mark.parametrize("rule", _rules("alert"), ids=lambda rule: rule["alert"])
def test_alert_expression_is_valid_over_metrics_that_exist(
    prometheus: Prometheus, rule: dict[str, Any]
) -> None:
    answer = prometheus.query(rule["expr"])
    assert answer["status"] == "success", answer
    metrics = set(_METRIC.findall(rule["expr"])) | set(
        re.findall(r"\bnamespace_job:\w+:\w+", rule["expr"])
    )
    assert metrics
    selector = ", ".join(f'{key}="{value}"' for key, value in SELECTOR_LABELS.items())
    for metric in metrics:
        series = prometheus.query(f'{{__name__="{metric}", {selector}}}')["data"]["result"]
        assert series, f"{rule['alert']} reads {metric}, which has no series"


def test_prometheus_loaded_every_rule_without_errors(prometheus: Prometheus) -> None:
    groups = prometheus.api("rules")["data"]["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert len(rules) == sum(len(group["rules"]) for group in rendered_rule_groups())
    unhealthy = {rule["name"]: rule.get("lastError") for rule in rules if rule["health"] != "ok"}
    assert not unhealthy, unhealthy


def test_prometheus_scrapes_latency_exemplars_carrying_trace_ids(prometheus: Prometheus) -> None:
    answer = prometheus.api(
        "query_exemplars",
        query=f'http_request_duration_seconds_bucket{{job="{JOB}", route="/users/{{id}}"}}',
        start="0",
        end="9999999999",
    )
    assert answer["status"] == "success", answer
    exemplars = [e for series in answer["data"] for e in series["exemplars"]]
    assert exemplars, answer
    assert all(re.fullmatch(r"[0-9a-f]{32}", e["labels"]["trace_id"]) for e in exemplars)
