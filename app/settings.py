"""Typed, frozen configuration read from the environment (12-factor)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from app.protection.upload_budget import reservation_bytes

Seconds = Annotated[float, Field(gt=0, le=3600)]
DEFAULT_UPLOAD_BUDGET_BYTES = 64 * 1024 * 1024
AuthMode = Literal["none", "serviceAccount", "jwt", "apiKeys"]
Role = Literal["reader", "writer"]
_AUTH_MODES: dict[str, AuthMode] = {
    "none": "none",
    "serviceaccount": "serviceAccount",
    "jwt": "jwt",
    "apikeys": "apiKeys",
}
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
_SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


def trusted_url(url: str) -> bool:
    """https, or plain http to this machine only (a test issuer)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS


class ConfigurationError(Exception):
    """A setting that validated alone but cannot be used (e.g. an unreadable file); exit 2."""


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

    # Database calls in flight at once; beyond it requests get 503 at once instead
    # of queueing. Unset: the pool size, so no call ever waits for a connection.
    max_in_flight: int | None = Field(default=None, ge=1, le=100_000)

    readiness_timeout_seconds: Seconds = 0.5
    readiness_cache_seconds: float = Field(default=1.0, ge=0, le=60)

    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "json"

    # On SIGTERM: readiness fails at once, serving continues for the delay (so
    # Kubernetes can take the pod out of its endpoints), then in-flight
    # requests get up to the timeout to finish.
    shutdown_delay_seconds: float = Field(default=0.0, ge=0, le=300)
    shutdown_timeout_seconds: Seconds = 10.0

    # Tracing is on when an OTLP endpoint is set (OTLP over HTTP, e.g.
    # http://collector:4318). The SDK reads every other OTEL_* variable itself.
    otel_exporter_otlp_endpoint: str = ""
    otel_exporter_otlp_traces_endpoint: str = ""
    otel_sdk_disabled: bool = False

    # The largest valid user is about 2.5 KB of JSON; 64 KiB leaves room for
    # pretty-printers while keeping the worst body's parse to a few ms.
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=64 * 1024 * 1024)
    body_read_timeout_seconds: Seconds = 10.0
    # A connection's request headers must be complete within this time of
    # their first byte (aiohttp itself has no such limit; see app/protection).
    header_read_timeout_seconds: Seconds = 10.0
    # The container's memory limit in bytes (the chart passes limits.memory
    # through the Downward API); the upload budget defaults to a quarter of it.
    memory_limit_bytes: int | None = Field(default=None, ge=32 * 1024 * 1024)
    # Memory that request bodies being received may hold at once, process-wide
    # (each reserves 2 x its length + 16 KiB); beyond it new uploads get 503
    # before their bodies are read.
    upload_budget_bytes: int | None = Field(default=None, ge=64 * 1024)

    @property
    def effective_upload_budget_bytes(self) -> int:
        """UPLOAD_BUDGET_BYTES, else a quarter of MEMORY_LIMIT_BYTES, else 64 MiB."""
        if self.upload_budget_bytes is not None:
            return self.upload_budget_bytes
        if self.memory_limit_bytes is not None:
            return max(self.memory_limit_bytes // 4, reservation_bytes(self.max_body_bytes))
        return DEFAULT_UPLOAD_BUDGET_BYTES

    @model_validator(mode="after")
    def _budget_fits_one_body(self) -> Settings:
        needed = reservation_bytes(self.max_body_bytes)
        if self.upload_budget_bytes is not None and self.upload_budget_bytes < needed:
            raise ValueError(
                f"UPLOAD_BUDGET_BYTES ({self.upload_budget_bytes}) must hold one upload of "
                f"MAX_BODY_BYTES ({self.max_body_bytes}): at least {needed}"
            )
        return self

    @property
    def in_flight_limit(self) -> int:
        """MAX_IN_FLIGHT, or the pool size when unset."""
        return self.max_in_flight or self.mongodb_max_pool_size

    # Authentication of /users calls (app/security/); see README "Authentication".
    auth_mode: AuthMode = "none"
    auth_issuer: str = ""
    auth_audience: str = Field(default="users-api", min_length=1)
    auth_jwks_url: str = ""
    auth_roles: dict[str, Role] = Field(default_factory=dict)
    auth_role_claim: str = ""
    auth_api_keys_file: Path | None = None
    auth_leeway_seconds: float = Field(default=30.0, ge=0, le=300)
    # aiohttp refuses header lines over 8190 bytes itself; below that, a token
    # this large is refused before any base64 or JSON parsing.
    auth_max_token_bytes: int = Field(default=4096, ge=256, le=8000)
    auth_token_cache_seconds: float = Field(default=60.0, ge=0, le=300)
    auth_jwks_cache_seconds: Seconds = 300.0
    auth_jwks_min_refresh_seconds: float = Field(default=10.0, ge=0, le=3600)
    auth_jwks_timeout_seconds: Seconds = 5.0
    auth_kubernetes_api_url: str = ""
    auth_kubernetes_token_file: Path = _SERVICE_ACCOUNT_DIR / "token"
    auth_kubernetes_ca_file: Path = _SERVICE_ACCOUNT_DIR / "ca.crt"
    # Set by the kubelet in every pod; the default API server address.
    kubernetes_service_host: str = ""
    kubernetes_service_port: int = Field(default=443, ge=1, le=65535)

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lower_case(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("auth_mode", mode="before")
    @classmethod
    def _auth_mode_any_case(cls, value: object) -> object:
        return _AUTH_MODES.get(value.lower(), value) if isinstance(value, str) else value

    @field_validator("auth_issuer", "auth_jwks_url", "auth_kubernetes_api_url")
    @classmethod
    def _https_unless_loopback(cls, value: str) -> str:
        # Keys fetched over plain HTTP could be swapped on the way: only a
        # test server on this machine may use it.
        if value and not trusted_url(value):
            raise ValueError("must be an https:// URL (http:// only on loopback)")
        return value

    @model_validator(mode="after")
    def _auth_mode_has_what_it_needs(self) -> Self:
        problem = _auth_problem(self)
        if problem:
            raise ValueError(problem)
        return self

    @property
    def kubernetes_api_url(self) -> str:
        """The API server: AUTH_KUBERNETES_API_URL, else the in-cluster Service address."""
        if self.auth_kubernetes_api_url:
            return self.auth_kubernetes_api_url.rstrip("/")
        host = self.kubernetes_service_host
        host = f"[{host}]" if ":" in host else host
        return f"https://{host}:{self.kubernetes_service_port}"

    @field_validator("mongodb_uri")
    @classmethod
    def _mongodb_scheme(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(("mongodb://", "mongodb+srv://")):
            raise ValueError("must start with mongodb:// or mongodb+srv://")
        return value

    @field_validator("otel_exporter_otlp_endpoint", "otel_exporter_otlp_traces_endpoint")
    @classmethod
    def _otlp_http_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL (OTLP over HTTP)")
        return value

    @field_validator("mongodb_database")
    @classmethod
    def _database_name(cls, value: str) -> str:
        if any(char in value for char in '/\\. "$\x00'):
            raise ValueError('must not contain any of / \\ . space " $ or NUL')
        return value


def _auth_problem(settings: Settings) -> str | None:  # noqa: PLR0911 - one rule per line
    """What an auth mode lacks, as "VARIABLE: why", or None."""
    match settings.auth_mode:
        case "serviceAccount" if not settings.auth_roles:
            return "AUTH_ROLES: serviceAccount mode needs a JSON object {subject: reader|writer}"
        case "serviceAccount" if not (
            settings.auth_kubernetes_api_url or settings.kubernetes_service_host
        ):
            return "AUTH_KUBERNETES_API_URL: needed outside a pod (no KUBERNETES_SERVICE_HOST)"
        case "jwt" if not settings.auth_issuer:
            return "AUTH_ISSUER: jwt mode needs the issuer URL"
        case "jwt" if not (settings.auth_roles or settings.auth_role_claim):
            return "AUTH_ROLES: jwt mode needs AUTH_ROLES or AUTH_ROLE_CLAIM to grant any role"
        case "apiKeys" if settings.auth_api_keys_file is None:
            return "AUTH_API_KEYS_FILE: apiKeys mode needs the file of key hashes"
    if any(not subject for subject in settings.auth_roles):
        return "AUTH_ROLES: a subject must not be empty"
    return None


def describe_errors(error: ValidationError | SettingsError) -> str:
    """One line naming each bad variable, without echoing secrets."""
    if isinstance(error, SettingsError):  # a JSON-valued variable that is not JSON
        named = re.search(r'field "(\w+)"', str(error))
        name = named[1].upper() if named else "?"
        return f"invalid configuration: {name}: not valid JSON"
    parts = []
    for item in error.errors():
        if not item["loc"]:  # a rule across variables names them in its message
            parts.append(item["msg"].removeprefix("Value error, "))
            continue
        name = str(item["loc"][0]).upper() if item["loc"] else "?"
        shown = "" if "uri" in name.lower() else f" (got {item.get('input')!r})"
        parts.append(f"{name}: {item['msg']}{shown}")
    return "invalid configuration: " + "; ".join(parts)
