"""Configuration: defaults, and a bad value stops start-up with one line naming it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.settings import Settings
from tests.support.tiers import REPO_ROOT


def test_defaults_match_the_documented_table(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PORT", "HOST", "MONGODB_URI", "MONGODB_DATABASE", "LOG_LEVEL", "LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert (settings.host, settings.port) == ("0.0.0.0", 8080)  # noqa: S104
    assert settings.mongodb_uri.get_secret_value() == "mongodb://localhost:27017"
    assert settings.mongodb_database == "users"
    assert (settings.log_level, settings.log_format) == ("info", "json")
    assert settings.max_body_bytes == 64 * 1024
    assert settings.header_read_timeout_seconds == 10


def test_environment_overrides_and_is_case_insensitive_for_enums(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PORT", "9000")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("SHUTDOWN_DELAY_SECONDS", "5")
    settings = Settings()
    assert (settings.port, settings.log_level, settings.shutdown_delay_seconds) == (
        9000,
        "debug",
        5,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("LOG_FORMAT", "xml"),
        ("MONGODB_URI", "postgres://secret@db"),
        ("MONGODB_DATABASE", "a.b"),
        ("MAX_BODY_BYTES", "-1"),
        ("SHUTDOWN_TIMEOUT_SECONDS", "0"),
        ("UPLOAD_BUDGET_BYTES", "70000"),
        ("HEADER_READ_TIMEOUT_SECONDS", "0"),
    ],
)
def test_bad_value_exits_2_with_one_line_naming_the_variable(variable: str, value: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app"],
        cwd=REPO_ROOT,
        env={variable: value},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert variable in lines[0]
    assert "secret" not in lines[0]
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("environment", "budget"),
    [
        ({}, 64 * 2**20),
        ({"MEMORY_LIMIT_BYTES": str(256 * 2**20)}, 64 * 2**20),
        ({"MEMORY_LIMIT_BYTES": str(1 * 2**30)}, 256 * 2**20),
        ({"MEMORY_LIMIT_BYTES": str(1 * 2**30), "UPLOAD_BUDGET_BYTES": "1048576"}, 2**20),
    ],
    ids=["default", "256Mi limit", "1Gi limit", "explicit budget wins"],
)
def test_upload_budget_is_a_quarter_of_the_memory_limit_unless_given(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], budget: int
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert Settings().effective_upload_budget_bytes == budget


def test_an_upload_budget_that_cannot_hold_one_body_names_both_variables() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app"],
        cwd=REPO_ROOT,
        env={"UPLOAD_BUDGET_BYTES": "300000", "MAX_BODY_BYTES": "200000"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "UPLOAD_BUDGET_BYTES (300000) must hold one upload of MAX_BODY_BYTES (200000)" in (
        result.stderr
    )
