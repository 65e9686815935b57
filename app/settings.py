"""Typed, frozen configuration read from the environment (12-factor)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Seconds = Annotated[float, Field(gt=0, le=3600)]


class Settings(BaseSettings):
    """Every knob of the service; each field is read from the upper-case env var of its name."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=False)

    host: str = "0.0.0.0"  # noqa: S104 - a container must listen on every interface
    port: int = Field(default=8080, ge=1, le=65535)

    mongodb_uri: SecretStr = SecretStr("mongodb://localhost:27017")
    mongodb_database: str = Field(default="users", min_length=1, max_length=63)
    # Bounds every driver call, server selection included; the driver's 30 s
    # default would hang requests for the whole of a database outage.
    mongodb_timeout_seconds: Seconds = 2.0
    mongodb_max_pool_size: int = Field(default=100, ge=1, le=10_000)

    readiness_timeout_seconds: Seconds = 0.5
    readiness_cache_seconds: float = Field(default=1.0, ge=0, le=60)

    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "json"

    # On SIGTERM: readiness fails at once, serving continues for the delay (so
    # Kubernetes can take the pod out of its endpoints), then in-flight
    # requests get up to the timeout to finish.
    shutdown_delay_seconds: float = Field(default=0.0, ge=0, le=300)
    shutdown_timeout_seconds: Seconds = 10.0

    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    body_read_timeout_seconds: Seconds = 10.0

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lower_case(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("mongodb_uri")
    @classmethod
    def _mongodb_scheme(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(("mongodb://", "mongodb+srv://")):
            raise ValueError("must start with mongodb:// or mongodb+srv://")
        return value

    @field_validator("mongodb_database")
    @classmethod
    def _database_name(cls, value: str) -> str:
        if any(char in value for char in '/\\. "$\x00'):
            raise ValueError('must not contain any of / \\ . space " $ or NUL')
        return value


def describe_errors(error: ValidationError) -> str:
    """One line naming each bad variable, without echoing secrets."""
    parts = []
    for item in error.errors():
        name = str(item["loc"][0]).upper() if item["loc"] else "?"
        shown = "" if "uri" in name.lower() else f" (got {item.get('input')!r})"
        parts.append(f"{name}: {item['msg']}{shown}")
    return "invalid configuration: " + "; ".join(parts)
