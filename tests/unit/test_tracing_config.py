"""Tracing is opt-in: the OTLP endpoint variables turn it on, nothing else does."""

from __future__ import annotations

import pytest

from app.observability.tracing import traces_endpoint
from app.settings import Settings


def test_tracing_is_off_without_an_otlp_endpoint() -> None:
    assert traces_endpoint(Settings()) is None


def test_the_generic_endpoint_gets_the_traces_path_appended() -> None:
    settings = Settings(otel_exporter_otlp_endpoint="http://collector:4318/")
    assert traces_endpoint(settings) == "http://collector:4318/v1/traces"


def test_the_traces_endpoint_is_used_as_given() -> None:
    settings = Settings(
        otel_exporter_otlp_endpoint="http://collector:4318",
        otel_exporter_otlp_traces_endpoint="https://traces.example:443/custom",
    )
    assert traces_endpoint(settings) == "https://traces.example:443/custom"


def test_otel_sdk_disabled_wins_over_an_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert traces_endpoint(Settings()) is None


def test_a_grpc_style_endpoint_is_refused_with_the_variable_named() -> None:
    with pytest.raises(ValueError, match="otel_exporter_otlp_endpoint"):
        Settings(otel_exporter_otlp_endpoint="collector:4317")
