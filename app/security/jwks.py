"""Verification keys: fetched with aiohttp, cached, refreshed on a schedule and on unknown kids.

A refresh for an unknown `kid` happens at most once per
AUTH_JWKS_MIN_REFRESH_SECONDS, whatever the traffic: a flood of forged tokens
with random kids costs the issuer one fetch, not one per token.
"""

from __future__ import annotations

import asyncio
from time import monotonic, perf_counter
from typing import TYPE_CHECKING, Any

import aiohttp
import orjson
import structlog
from jwt import PyJWK, PyJWKSet
from jwt.exceptions import PyJWKSetError, PyJWTError

from app.security.errors import InvalidToken, KeysUnavailable
from app.security.kubernetes import DISCOVERY_PATH, JWKS_PATH
from app.settings import trusted_url

if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable

    from app.security.kubernetes import ApiServer

logger = structlog.get_logger("app.security.jwks")

# Asymmetric signatures only: a symmetric (`oct`) key in a JWKS, or a token
# claiming HS256 or `none`, is never used (no algorithm confusion).
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
MAX_DOCUMENT_BYTES = 1024 * 1024
# While no key was ever loaded, retry this often (doubling, capped).
FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0


class FetchFailed(Exception):
    """A discovery or JWKS request failed; the message is safe to log and show."""


class KeySource:
    """Where the issuer and its keys come from: OIDC discovery, an explicit JWKS URL, or both.

    `issuer` is the expected `iss`: configured, or (Kubernetes mode with none
    configured) taken from the API server's discovery document.
    """

    def __init__(
        self,
        *,
        issuer: str | None,
        discovery_url: str | None,
        jwks_url: str | None,
        api_server: ApiServer | None = None,
    ) -> None:
        self.issuer = issuer
        self._discovery_url = discovery_url
        self._jwks_url = jwks_url
        self._api_server = api_server

    @classmethod
    def oidc(cls, *, issuer: str, jwks_url: str) -> KeySource:
        """Generic OIDC: discovery at the issuer unless the JWKS URL is given."""
        discovery = None if jwks_url else issuer.rstrip("/") + DISCOVERY_PATH
        return cls(issuer=issuer, discovery_url=discovery, jwks_url=jwks_url or None)

    @classmethod
    def kubernetes(cls, api_server: ApiServer, *, issuer: str) -> KeySource:
        """The API server's own endpoints, with the pod's token and the cluster CA.

        Keys always come from the API server's /openid/v1/jwks: the discovery
        document's jwks_uri may name an address outside the cluster.
        """
        discovery = None if issuer else api_server.url + DISCOVERY_PATH
        return cls(
            issuer=issuer or None,
            discovery_url=discovery,
            jwks_url=api_server.url + JWKS_PATH,
            api_server=api_server,
        )

    async def fetch(self, session: aiohttp.ClientSession) -> dict[str, Any]:
        """The JWKS document, after discovery when the issuer or the JWKS URL is not known yet."""
        if self._discovery_url and (self.issuer is None or self._jwks_url is None):
            document = await self._get_json(session, self._discovery_url)
            discovered = document.get("issuer")
            if not isinstance(discovered, str) or not discovered:
                raise FetchFailed("discovery document has no issuer")
            # OpenID Connect Discovery 1.0 section 4.3: the issuer must match exactly.
            if self.issuer is not None and discovered != self.issuer:
                raise FetchFailed(f"discovery names issuer {discovered!r}, not {self.issuer!r}")
            jwks_uri = document.get("jwks_uri")
            if self._jwks_url is None:
                if not isinstance(jwks_uri, str) or not trusted_url(jwks_uri):
                    raise FetchFailed("discovery document has no https jwks_uri")
                self._jwks_url = jwks_uri
            self.issuer = discovered
        assert self._jwks_url is not None  # noqa: S101 - set by the constructors or discovery
        return await self._get_json(session, self._jwks_url)

    async def _get_json(self, session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
        # The API server serves its JWKS as application/jwk-set+json and answers
        # 406 to an Accept that excludes it; discovery documents are plain JSON.
        headers: dict[str, str] = {"Accept": "application/jwk-set+json, application/json"}
        ssl_context: ssl.SSLContext | None = None
        if self._api_server is not None and url.startswith(self._api_server.url):
            headers.update(self._api_server.headers())
            ssl_context = self._api_server.ssl_context()
        try:
            async with session.get(url, headers=headers, ssl=ssl_context or True) as response:
                if response.status != 200:  # noqa: PLR2004
                    raise FetchFailed(f"GET {url} answered {response.status}")
                body = await response.content.read(MAX_DOCUMENT_BYTES + 1)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise FetchFailed(f"GET {url} failed: {type(error).__name__}") from error
        if len(body) > MAX_DOCUMENT_BYTES:
            raise FetchFailed(f"GET {url}: document over {MAX_DOCUMENT_BYTES} bytes")
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise FetchFailed(f"GET {url}: not JSON") from error
        if not isinstance(document, dict):
            raise FetchFailed(f"GET {url}: not a JSON object")
        return document


class KeyCache:
    """Signing keys by kid: the last successful fetch, kept through later failures."""

    def __init__(
        self,
        *,
        source: KeySource,
        min_refresh_seconds: float,
        record_fetch: Callable[[str, float], None],
    ) -> None:
        self.source = source
        self._min_refresh_seconds = min_refresh_seconds
        self._record_fetch = record_fetch
        self._keys: dict[str, PyJWK] = {}
        self._loaded = False
        self._attempted_at = float("-inf")
        self._lock = asyncio.Lock()
        self.session: aiohttp.ClientSession | None = None
        self.last_error: str | None = "keys not fetched yet"

    @property
    def loaded(self) -> bool:
        """Whether any fetch ever succeeded (then keys survive later outages)."""
        return self._loaded

    def not_ready_reason(self) -> str | None:
        """For /readyz: why no token can be verified yet, or None."""
        return None if self._loaded else f"auth keys unavailable: {self.last_error}"

    async def refresh(self) -> bool:
        """Fetch now (one fetch at a time); whether it succeeded."""
        async with self._lock:
            return await self._refresh_locked()

    async def _refresh_locked(self) -> bool:
        self._attempted_at = monotonic()
        if self.session is None:
            self.last_error = "not started"
            return False
        started = perf_counter()
        try:
            document = await self.source.fetch(self.session)
            keys = _usable_keys(document)
        except FetchFailed as error:
            self._record_fetch("error", perf_counter() - started)
            self.last_error = str(error)
            logger.warning("jwks_fetch_failed", reason=self.last_error, keys_kept=len(self._keys))
            return False
        self._record_fetch("success", perf_counter() - started)
        self._keys, self._loaded, self.last_error = keys, True, None
        logger.info("jwks_fetched", kids=sorted(keys), issuer=self.source.issuer)
        return True

    async def key_for(self, kid: str) -> PyJWK:
        """The key with this kid, refreshing once (rate-bounded) if it is unknown."""
        key = self._keys.get(kid)
        if key is not None:
            return key
        # Wait for a fetch in flight (the first one at start, say) rather than
        # judge the token against the keys it is about to replace.
        if self._lock.locked() or monotonic() - self._attempted_at >= self._min_refresh_seconds:
            async with self._lock:
                # Another request may have refreshed while this one waited.
                if kid not in self._keys and (
                    monotonic() - self._attempted_at >= self._min_refresh_seconds
                ):
                    await self._refresh_locked()
            key = self._keys.get(kid)
        if key is not None:
            return key
        if not self._loaded:
            raise KeysUnavailable(self.last_error or "no keys")
        raise InvalidToken("unknown key id (kid)")

    async def run_refresher(self, *, every_seconds: float) -> None:
        """Background task: load keys (retrying with backoff), then refresh on a schedule."""
        retry = FIRST_RETRY_SECONDS
        while True:
            if await self.refresh():
                retry = FIRST_RETRY_SECONDS
                await asyncio.sleep(every_seconds)
            else:
                await asyncio.sleep(retry if not self._loaded else every_seconds)
                retry = min(retry * 2, MAX_RETRY_SECONDS)


def _usable_keys(document: dict[str, Any]) -> dict[str, PyJWK]:
    """Signature keys with a kid; a set with none usable is a failed fetch."""
    try:
        key_set = PyJWKSet.from_dict(document)
    except (PyJWKSetError, PyJWTError) as error:
        raise FetchFailed(f"JWKS has no usable key: {error}") from error
    keys = {
        key.key_id: key
        for key in key_set.keys
        if key.key_id
        and key.public_key_use in {None, "sig"}
        and key.algorithm_name in ASYMMETRIC_ALGORITHMS
    }
    if not keys:
        raise FetchFailed("JWKS has no signature key with a kid")
    return keys
