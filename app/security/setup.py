"""Builds the security pieces AUTH_MODE asks for; main.py wires what this returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.security.api_keys import ApiKeyAuthenticator, load_api_keys
from app.security.metrics import AuthMetrics
from app.security.middleware import make_auth_middleware

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from aiohttp import web
    from aiohttp.typedefs import Middleware
    from prometheus_client import CollectorRegistry

    from app.settings import Settings


@dataclass(frozen=True, slots=True)
class Security:
    """What the app needs from this package; empty when AUTH_MODE=none."""

    mode: str
    middlewares: list[Middleware] = field(default_factory=list)
    cleanup_contexts: list[Callable[[web.Application], AsyncIterator[None]]] = field(
        default_factory=list
    )
    not_ready_reason: Callable[[], str | None] = lambda: None

    @property
    def enabled(self) -> bool:
        """Whether /users calls need credentials (drives the OpenAPI document too)."""
        return self.mode != "none"


def build_security(
    settings: Settings, *, registry: CollectorRegistry, public_routes: frozenset[str]
) -> Security:
    """Everything AUTH_MODE needs; ConfigurationError (exit 2) if its inputs are unusable."""
    if settings.auth_mode == "none":
        return Security(mode="none")
    if settings.auth_mode == "apiKeys":
        assert settings.auth_api_keys_file is not None  # noqa: S101 - Settings enforces it
        api_keys = ApiKeyAuthenticator(load_api_keys(settings.auth_api_keys_file))
        metrics = AuthMetrics(registry, known_callers=api_keys.known_callers)
        middleware = make_auth_middleware(
            authenticate=api_keys.authenticate,
            metrics=metrics,
            public_routes=public_routes,
            max_token_bytes=settings.auth_max_token_bytes,
        )
        return Security(mode=settings.auth_mode, middlewares=[middleware])
    # PyJWT pulls in cryptography (about 9 MiB of RSS): loaded only in the modes that verify JWTs.
    from app.security.bearer import build_jwt_security  # noqa: PLC0415

    return build_jwt_security(settings, registry=registry, public_routes=public_routes)
