"""JWT bearer tokens (Kubernetes ServiceAccount tokens, any OIDC issuer), verified locally.

PyJWT checks the signature and the registered claims; this module picks the
key, refuses non-asymmetric algorithms before any key is touched, maps the
subject to a role, and remembers verified tokens briefly so a caller's
repeated token costs a hash and a dict lookup instead of a signature check.
"""

from __future__ import annotations

import hashlib
from time import monotonic, time
from typing import TYPE_CHECKING, Any

import jwt
from jwt.exceptions import PyJWTError

from app.security.errors import InvalidToken, KeysUnavailable
from app.security.identity import Caller
from app.security.jwks import ASYMMETRIC_ALGORITHMS

if TYPE_CHECKING:
    from collections.abc import Mapping

    from app.security.jwks import KeyCache
    from app.settings import Role

MAX_CACHED_TOKENS = 4096
_REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub"]


class JwtAuthenticator:
    """Verifies a bearer JWT against the cached keys; the caller is its `sub`."""

    def __init__(  # noqa: PLR0913 - keyword-only configuration
        self,
        *,
        keys: KeyCache,
        audience: str,
        leeway_seconds: float,
        roles: Mapping[str, Role],
        role_claim: str,
        cache_seconds: float,
    ) -> None:
        self._keys = keys
        self._audience = audience
        self._leeway = leeway_seconds
        self._roles = dict(roles)
        self._role_claim = role_claim.split(".") if role_claim else []
        self._cache_seconds = cache_seconds
        self._verified: dict[bytes, tuple[Caller, float]] = {}
        self.known_callers = frozenset(roles)

    async def authenticate(self, token: str) -> Caller:
        """The verified caller, or InvalidToken / KeysUnavailable."""
        digest = hashlib.sha256(token.encode()).digest()
        cached = self._verified.get(digest)
        if cached is not None:
            if monotonic() < cached[1]:
                return cached[0]
            del self._verified[digest]
        claims = await self._verify(token)
        caller = Caller(name=claims["sub"], role=self._role_of(claims))
        self._remember(digest, caller, expires_at=float(claims["exp"]))
        return caller

    async def _verify(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except PyJWTError as error:
            raise InvalidToken(f"malformed token: {error}") from error
        algorithm = header.get("alg")
        if algorithm not in ASYMMETRIC_ALGORITHMS:
            raise InvalidToken(f"algorithm {algorithm!r} is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("token has no key id (kid)")
        key = await self._keys.key_for(kid)
        issuer = self._keys.source.issuer
        if issuer is None:
            raise KeysUnavailable("issuer not discovered yet")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                # PyJWT refuses a key of the wrong type for the algorithm
                # (an RSA key for ES256, say).
                key=key.key,
                algorithms=[algorithm],
                audience=self._audience,
                issuer=issuer,
                leeway=self._leeway,
                options={"require": _REQUIRED_CLAIMS},
            )
        except PyJWTError as error:
            raise InvalidToken(str(error)) from error
        if not isinstance(claims["sub"], str) or not claims["sub"]:
            raise InvalidToken("sub must be a non-empty string")
        return claims

    def _role_of(self, claims: dict[str, Any]) -> Role | None:
        role = self._roles.get(claims["sub"])
        if role is not None or not self._role_claim:
            return role
        value: Any = claims
        for part in self._role_claim:
            value = value.get(part) if isinstance(value, dict) else None
        # A string or a list of strings; anything else in the claim grants nothing.
        listed = value if isinstance(value, list) else [value]
        granted = {item for item in listed if isinstance(item, str)}
        if "writer" in granted:
            return "writer"
        return "reader" if "reader" in granted else None

    def _remember(self, digest: bytes, caller: Caller, *, expires_at: float) -> None:
        lifetime = min(self._cache_seconds, expires_at - time())
        if lifetime <= 0:
            return
        if len(self._verified) >= MAX_CACHED_TOKENS:
            del self._verified[next(iter(self._verified))]  # the oldest entry
        self._verified[digest] = (caller, monotonic() + lifetime)
