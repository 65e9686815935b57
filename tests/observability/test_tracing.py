"""Tracing against a real Jaeger: one trace from the caller's traceparent down to MongoDB."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from typing import TYPE_CHECKING, Any

from tests.support.blocking_http import call, get_text

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.app_process import AppProcess
    from tests.support.jaeger import Jaeger

OPENMETRICS = "application/openmetrics-text; version=1.0.0"


def _traced_env(jaeger: Jaeger, **extra: str) -> dict[str, str]:
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": jaeger.otlp_endpoint,
        "OTEL_SERVICE_NAME": "users-api-test",
        "OTEL_BSP_SCHEDULE_DELAY": "100",  # export within 0.1 s instead of 5 s
        **extra,
    }


def _tags(span: dict[str, Any]) -> dict[str, Any]:
    return {tag["key"]: tag["value"] for tag in span["tags"]}


def _parent_id(span: dict[str, Any]) -> str | None:
    parents = [ref["spanID"] for ref in span["references"] if ref["refType"] == "CHILD_OF"]
    return parents[0] if parents else None


def test_traceparent_yields_one_trace_with_route_span_and_mongodb_children(
    start_app: Callable[..., AppProcess], jaeger: Jaeger
) -> None:
    app = start_app(**_traced_env(jaeger))
    app.wait_until("/readyz", 200)
    trace_id, caller_span = os.urandom(16).hex(), os.urandom(8).hex()
    print(f"\njaeger test trace id: {trace_id}")
    headers = {"traceparent": f"00-{trace_id}-{caller_span}-01", "tracestate": "vendor=x"}
    body = json.dumps({"id": 7, "name": "traced"}).encode()
    assert call("POST", app.base_url + "/users", body, headers=headers)[0] == 201
    assert call("GET", app.base_url + "/users/7", headers=headers)[0] == 200

    trace = jaeger.wait_for_trace(trace_id, spans_at_least=4)
    spans = {span["spanID"]: span for span in trace["spans"]}
    by_name = {span["operationName"]: span for span in spans.values()}
    get_span = by_name["GET /users/{id}"]
    post_span = by_name["POST /users"]
    for server_span in (get_span, post_span):
        assert _parent_id(server_span) == caller_span
        assert _tags(server_span)["span.kind"] == "server"
    get_tags = _tags(get_span)
    assert get_tags["http.route"] == "/users/{id}"
    assert get_tags["url.path"] == "/users/7"
    assert get_tags["http.request.method"] == "GET"
    assert get_tags["http.response.status_code"] == 200
    assert trace["processes"][get_span["processID"]]["serviceName"] == "users-api-test"

    mongo_children = {
        _parent_id(span): span["operationName"]
        for span in spans.values()
        if _tags(span).get("db.system") == "mongodb"
    }
    assert mongo_children[get_span["spanID"]].endswith(".find")
    assert mongo_children[post_span["spanID"]].endswith(".insert")
    server_ids = {get_span["spanID"], post_span["spanID"]}
    others = [span for span_id, span in spans.items() if span_id not in server_ids]
    assert all(_tags(span)["span.kind"] == "client" for span in others)

    traced_lines = [line for line in app.log_events() if line.get("trace_id") == trace_id]
    access = [line for line in traced_lines if line.get("event") == "request"]
    assert {line["route"] for line in access} == {"/users", "/users/{id}"}
    assert all(re.fullmatch(r"[0-9a-f]{16}", line["span_id"]) for line in traced_lines)
    assert all(line["request_id"] for line in traced_lines)
    assert {line["span_id"] for line in access} == {get_span["spanID"], post_span["spanID"]}


def test_latency_observations_carry_the_trace_id_in_openmetrics(
    start_app: Callable[..., AppProcess], jaeger: Jaeger
) -> None:
    app = start_app(**_traced_env(jaeger))
    app.wait_until("/readyz", 200)
    trace_id = os.urandom(16).hex()
    headers = {"traceparent": f"00-{trace_id}-{os.urandom(8).hex()}-01"}
    assert call("GET", app.base_url + "/users/404404", headers=headers)[0] == 404

    content_type, exposition = get_text(app.base_url + "/metrics", accept=OPENMETRICS)
    assert content_type.startswith("application/openmetrics-text")
    exemplar_lines = [
        line
        for line in exposition.splitlines()
        if line.startswith("http_request_duration_seconds_bucket")
        and 'route="/users/{id}"' in line
        and f'# {{trace_id="{trace_id}"}}' in line
    ]
    assert exemplar_lines, exposition


def test_a_dead_collector_costs_dropped_spans_and_nothing_else(
    start_app: Callable[..., AppProcess], jaeger: Jaeger
) -> None:
    app = start_app(
        **_traced_env(
            jaeger,
            OTEL_BSP_MAX_QUEUE_SIZE="32",
            OTEL_BSP_MAX_EXPORT_BATCH_SIZE="8",
            OTEL_EXPORTER_OTLP_TIMEOUT="1",
            SHUTDOWN_TIMEOUT_SECONDS="2",
        )
    )
    app.wait_until("/readyz", 200)
    body = json.dumps({"id": 1, "name": "before"}).encode()
    assert call("POST", app.base_url + "/users", body)[0] == 201
    jaeger.stop()

    for user_id in range(2, 202):
        body = json.dumps({"id": user_id, "name": f"n{user_id}"}).encode()
        assert call("POST", app.base_url + "/users", body, timeout=5)[0] == 201
        status, _, user = call("GET", app.base_url + f"/users/{user_id}", timeout=5)
        assert (status, user["name"]) == (200, f"n{user_id}")

    metrics = _dropped_spans(app)
    assert metrics["queue_full"] + metrics["export_failed"] > 0, metrics
    app.signal(signal.SIGTERM)
    assert app.wait(timeout=15) == 0
    events = [line["event"] for line in app.log_events()]
    assert "shutdown_complete" in events
    assert {"tracing_flushed", "tracing_flush_timed_out"} & set(events)


def _dropped_spans(app: AppProcess) -> dict[str, float]:
    """tracing_spans_dropped_total by reason, once any is above zero (or after 15 s)."""
    deadline = time.monotonic() + 15
    found: dict[str, float] = {}
    while time.monotonic() < deadline:
        _, text = get_text(app.base_url + "/metrics")
        found = {
            match[1]: float(match[2])
            for match in re.finditer(r'tracing_spans_dropped_total\{reason="(\w+)"\} (\S+)', text)
        }
        if sum(found.values()) > 0:
            break
        time.sleep(0.2)
    return found
