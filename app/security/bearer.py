"""AUTH_MODE=serviceAccount or oidc: bearer JWTs checked against the issuer's published keys.

A module of its own so that PyJWT and cryptography are imported only when a
mode needs them (app.security.setup imports it lazily).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import aiohttp

from app.security.jwks import KeyCache, KeySource
from app.security.kubernetes import ApiServer
from app.security.metrics import AuthMetrics
from app.security.middleware import make_auth_middleware
from app.security.setup import Security
from app.security.tokens import JwtAuthenticator

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from aiohttp import web
    from prometheus_client import CollectorRegistry

    from app.settings import Settings


def build_jwt_security(
    settings: Settings, *, registry: CollectorRegistry, public_routes: frozenset[str]
) -> Security:
    """The middleware, the key refresher and the readiness gate of a JWT mode."""
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
