"""Builds the security pieces AUTH_MODE asks for; main.py wires what this returns."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import aiohttp

from app.security.api_keys import ApiKeyAuthenticator, load_api_keys
from app.security.jwks import KeyCache, KeySource
from app.security.kubernetes import ApiServer
from app.security.metrics import AuthMetrics
from app.security.middleware import make_auth_middleware
from app.security.tokens import JwtAuthenticator

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
    metrics = AuthMetrics(registry, known_callers=frozenset(settings.auth_roles))
    keys = KeyCache(
        source=_key_source(settings),
        min_refresh_seconds=settings.auth_jwks_min_refresh_seconds,
        record_fetch=metrics.record_fetch,
    )
    tokens = JwtAuthenticator(
        keys=keys,
        audience=settings.auth_audience,
        leeway_seconds=settings.auth_leeway_seconds,
        roles=settings.auth_roles,
        role_claim=settings.auth_role_claim,
        cache_seconds=settings.auth_token_cache_seconds,
    )
    middleware = make_auth_middleware(
        authenticate=tokens.authenticate,
        metrics=metrics,
        public_routes=public_routes,
        max_token_bytes=settings.auth_max_token_bytes,
    )

    async def key_refresher_context(_: web.Application) -> AsyncIterator[None]:
        """The HTTP session and the refresh task live exactly as long as the app."""
        timeout = aiohttp.ClientTimeout(total=settings.auth_jwks_timeout_seconds)
        async with aiohttp.ClientSession(timeout=timeout, raise_for_status=False) as session:
            keys.session = session
            # Start-up does not wait for the issuer: readiness says why until keys arrive.
            task = asyncio.create_task(
                keys.run_refresher(every_seconds=settings.auth_jwks_cache_seconds),
                name="jwks-refresher",
            )
            yield
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            keys.session = None

    return Security(
        mode=settings.auth_mode,
        middlewares=[middleware],
        cleanup_contexts=[key_refresher_context],
        not_ready_reason=keys.not_ready_reason,
    )


def _key_source(settings: Settings) -> KeySource:
    if settings.auth_mode == "serviceAccount":
        api_server = ApiServer(
            url=settings.kubernetes_api_url,
            token_file=settings.auth_kubernetes_token_file,
            ca_file=settings.auth_kubernetes_ca_file,
        )
        return KeySource.kubernetes(api_server, issuer=settings.auth_issuer)
    return KeySource.oidc(issuer=settings.auth_issuer, jwks_url=settings.auth_jwks_url)
