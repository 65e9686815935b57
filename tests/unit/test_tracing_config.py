"""Tracing is opt-in: the OTLP endpoint variables turn it on, nothing else does."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from app.observability.tracing import traces_endpoint
from app.settings import Settings
from tests.support.tiers import REPO_ROOT


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


def test_an_untraced_service_does_not_even_load_opentelemetry() -> None:
    script = (
        "import sys; from app.main import create_app; from app.settings import Settings; "
        "create_app(Settings()); "
        "print(sorted({m.split('.')[1] for m in sys.modules if m.startswith('opentelemetry.')}))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"
