"""A real OIDC issuer for tests: discovery + JWKS over HTTP, keys generated in the test.

It also plays the Kubernetes API server's issuer endpoints (/openid/v1/jwks),
optionally demanding the pod's own bearer token, as the real one does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import TYPE_CHECKING, Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

if TYPE_CHECKING:
    from typing import TypeAlias

    PrivateKey: TypeAlias = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

AUDIENCE = "users-api"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Issuer:
    """Signs tokens and publishes the public halves of the keys it chooses to publish."""

    def __init__(self) -> None:
        self.url = ""  # set once the server listens
        self.issuer = ""  # the `iss` it names; defaults to its own URL
        self.private_keys: dict[str, tuple[PrivateKey, str]] = {}
        self.published: list[str] = []
        self.outage = False
        self.required_bearer: str | None = None
        self.seen_bearers: list[str] = []
        self.jwks_fetches = 0
        self.discovery_fetches = 0

    def add_key(self, kid: str, *, algorithm: str = "RS256", publish: bool = True) -> None:
        """Generate a key pair (RSA 2048 or EC P-256) and optionally publish it."""
        key: PrivateKey
        if algorithm.startswith("ES"):
            key = ec.generate_private_key(ec.SECP256R1())
        else:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private_keys[kid] = (key, algorithm)
        if publish:
            self.published.append(kid)

    def jwks(self) -> dict[str, Any]:
        """The published public keys as a JWK Set."""
        keys = []
        for kid in self.published:
            private, algorithm = self.private_keys[kid]
            public = private.public_key()
            if isinstance(public, ec.EllipticCurvePublicKey):
                jwk = ECAlgorithm.to_jwk(public, as_dict=True)
            else:
                jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
            keys.append({**jwk, "kid": kid, "alg": algorithm, "use": "sig"})
        return {"keys": keys}

    def claims(self, *, sub: str, lifetime: float = 300, **overrides: Any) -> dict[str, Any]:
        """Registered claims for a token that verifies, with overrides."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer or self.url,
            "aud": AUDIENCE,
            "sub": sub,
            "iat": now,
            "nbf": now,
            "exp": now + int(lifetime),
            "jti": uuid.uuid4().hex,
        }
        claims.update(overrides)
        return {name: value for name, value in claims.items() if value is not None}

    def token(
        self,
        *,
        sub: str,
        kid: str = "k1",
        signed_by: str | None = None,
        lifetime: float = 300,
        **overrides: Any,
    ) -> str:
        """A token naming key `kid`, signed by that key (or by `signed_by`, a forgery)."""
        private, algorithm = self.private_keys[signed_by or kid]
        claims = self.claims(sub=sub, lifetime=lifetime, **overrides)
        return jwt.encode(claims, private, algorithm=algorithm, headers={"kid": kid})

    def unsigned_token(self, *, sub: str, kid: str = "k1") -> str:
        """`alg: none`: no signature at all."""
        header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode())
        return f"{header}.{_b64(json.dumps(self.claims(sub=sub)).encode())}."

    def hmac_with_public_key(self, *, sub: str, kid: str = "k1") -> str:
        """Algorithm confusion: HS256 keyed with the published RSA public key's PEM."""
        private, _ = self.private_keys[kid]
        pem = private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
        payload = _b64(json.dumps(self.claims(sub=sub)).encode())
        signature = hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64(signature)}"

    def app(self) -> web.Application:
        """Routes: OIDC discovery, a JWKS, and the API server's JWKS path."""
        app = web.Application()
        app.add_routes(
            [
                web.get("/.well-known/openid-configuration", self._discovery),
                web.get("/jwks", self._jwks),
                web.get("/openid/v1/jwks", self._jwks),
            ]
        )
        return app

    def _refuse(self, request: web.Request) -> web.Response | None:
        if self.outage:
            return web.Response(status=503, text="issuer down")
        bearer = request.headers.get("Authorization", "")
        self.seen_bearers.append(bearer)
        if self.required_bearer is not None and bearer != f"Bearer {self.required_bearer}":
            return web.Response(status=401, text="Unauthorized")
        return None

    async def _discovery(self, request: web.Request) -> web.Response:
        self.discovery_fetches += 1
        refusal = self._refuse(request)
        if refusal is not None:
            return refusal
        document = {
            "issuer": self.issuer or self.url,
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        }
        return web.json_response(document)

    async def _jwks(self, request: web.Request) -> web.Response:
        self.jwks_fetches += 1
        refusal = self._refuse(request)
        if refusal is not None:
            return refusal
        if request.path == "/openid/v1/jwks":
            # As the API server does: its media type, and 406 to an Accept without it.
            accept = request.headers.get("Accept", "*/*")
            if not any(kind in accept for kind in ("application/jwk-set+json", "*/*")):
                return web.Response(status=406, text="Not Acceptable")
            return web.json_response(self.jwks(), content_type="application/jwk-set+json")
        return web.json_response(self.jwks())
