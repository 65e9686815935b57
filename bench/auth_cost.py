"""`python -m bench.auth_cost`: the CPU the security middleware adds to one authenticated GET.

The middleware runs in-process, in a loop, in front of a handler that does
nothing, against the real pieces: settings, the JWKS fetched over loopback
HTTP from an issuer started here (keys generated here), PyJWT, the token
cache, metrics and the log-context binding. The same loop through a
pass-through middleware is subtracted, so the figure is what auth adds per
request. CPU time (user + system of this process), not wall time: the
machine is shared, and CPU is what a pod's request buys.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import hashlib
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import jwt
import structlog
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from multidict import CIMultiDict, CIMultiDictProxy
from prometheus_client import CollectorRegistry

from app.main import PUBLIC_ROUTES
from app.security.setup import build_security
from app.settings import Settings
from bench.middleware_baseline import noop_handler, pass_through

if TYPE_CHECKING:
    from collections.abc import Callable

    from aiohttp.typedefs import Middleware

SUBJECT = "system:serviceaccount:bench:client"
TARGET_MICROSECONDS = 50.0


@dataclass(frozen=True, slots=True)
class Result:
    """One scenario: microseconds of CPU added per request."""

    name: str
    microseconds: float
    requests: int


@dataclass(frozen=True, slots=True)
class _Request:
    """What the middleware reads of a request.

    aiohttp's mocked requests are Mock objects: too slow to build by the
    thousand, and their garbage would be collected inside the timed loop.
    """

    method: str
    headers: CIMultiDictProxy[str]
    match_info: web.UrlMappingMatchInfo


def _request_factory(app: web.Application) -> Callable[[str], web.Request]:
    """GET /users/1 with a token, matched like the router matches it."""
    resource = app.router.add_resource("/users/{id}")
    route = resource.add_route("GET", noop_handler)
    match_info = web.UrlMappingMatchInfo({"id": "1"}, route)

    def make(token: str) -> web.Request:
        headers = CIMultiDictProxy(CIMultiDict({"Authorization": f"Bearer {token}"}))
        return cast("web.Request", _Request("GET", headers, match_info))

    return make


async def _cpu_per_request(middleware: Middleware, requests: list[web.Request]) -> float:
    gc.collect()
    started = time.process_time()
    for request in requests:
        response = await middleware(request, noop_handler)
        if response.status != 200:  # noqa: PLR2004
            raise SystemExit(f"bench: auth refused a bench request: {response.status}")
    return (time.process_time() - started) / len(requests)


PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def _jwks(keys: dict[str, PrivateKey]) -> dict[str, Any]:
    published = []
    for kid, private in keys.items():
        public = private.public_key()
        if isinstance(public, ec.EllipticCurvePublicKey):
            published.append(
                {**ECAlgorithm.to_jwk(public, as_dict=True), "kid": kid, "alg": "ES256"}
            )
        else:
            published.append(
                {**RSAAlgorithm.to_jwk(public, as_dict=True), "kid": kid, "alg": "RS256"}
            )
    return {"keys": published}


async def _jwt_results(requests: int) -> list[Result]:
    keys: dict[str, PrivateKey] = {
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ec": ec.generate_private_key(ec.SECP256R1()),
    }
    issuer_app = web.Application()
    document = _jwks(keys)

    async def get_jwks(_: web.Request) -> web.Response:
        return web.json_response(document)

    issuer_app.router.add_get("/jwks", get_jwks)
    runner = web.AppRunner(issuer_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    issuer = f"http://127.0.0.1:{port}"
    settings = Settings(
        auth_mode="jwt",
        auth_issuer=issuer,
        auth_jwks_url=f"{issuer}/jwks",
        auth_roles={SUBJECT: "reader"},
    )
    app = web.Application()
    security = build_security(settings, registry=CollectorRegistry(), public_routes=PUBLIC_ROUTES)
    make = _request_factory(app)
    results = []
    try:
        async with contextlib.asynccontextmanager(security.cleanup_contexts[0])(app):
            middleware = security.middlewares[0]

            def token(kid: str, algorithm: str) -> str:
                now = int(time.time())
                claims = {
                    "iss": issuer,
                    "aud": "users-api",
                    "sub": SUBJECT,
                    "iat": now,
                    "exp": now + 600,
                    "jti": secrets.token_hex(8),
                }
                return jwt.encode(claims, keys[kid], algorithm=algorithm, headers={"kid": kid})

            await middleware(make(token("rsa", "RS256")), noop_handler)  # loads the keys
            baseline = await _cpu_per_request(pass_through, [make("x")] * requests)
            same = token("rsa", "RS256")
            cached = await _cpu_per_request(middleware, [make(same) for _ in range(requests)])
            results.append(
                Result(
                    "JWT RS256, token seen before (verified-token cache)",
                    (cached - baseline) * 1e6,
                    requests,
                )
            )
            fresh_count = max(requests // 20, 50)
            for kid, algorithm in (("rsa", "RS256"), ("ec", "ES256")):
                fresh = [make(token(kid, algorithm)) for _ in range(fresh_count)]
                cost = await _cpu_per_request(middleware, fresh)
                results.append(
                    Result(
                        f"JWT {algorithm}, new token (full verify, cached key)",
                        (cost - baseline) * 1e6,
                        fresh_count,
                    )
                )
    finally:
        await runner.cleanup()
    return results


async def _api_key_result(requests: int) -> Result:
    key = secrets.token_hex(32)
    lines = [
        f"client-{n} reader sha256:{hashlib.sha256(secrets.token_bytes(8)).hexdigest()}"
        for n in range(9)
    ]
    lines.append(f"bench writer sha256:{hashlib.sha256(key.encode()).hexdigest()}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "api-keys"
        path.write_text("\n".join(lines) + "\n")
        settings = Settings(auth_mode="apiKeys", auth_api_keys_file=path)
        security = build_security(
            settings, registry=CollectorRegistry(), public_routes=PUBLIC_ROUTES
        )
    make = _request_factory(web.Application())
    baseline = await _cpu_per_request(pass_through, [make("x")] * requests)
    cost = await _cpu_per_request(security.middlewares[0], [make(key) for _ in range(requests)])
    return Result("API key (10 keys, constant-time compare)", (cost - baseline) * 1e6, requests)


async def measure(requests: int) -> list[Result]:
    """Every scenario, in order."""
    # The middleware binds the caller to the log context; keep logging silent and cheap.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    results = await _jwt_results(requests)
    results.append(await _api_key_result(requests))
    return results


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 0 (figures are reported, not judged)."""
    parser = argparse.ArgumentParser(prog="python -m bench.auth_cost", description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000, help="requests per scenario")
    args = parser.parse_args(argv)
    results = asyncio.run(measure(args.requests))
    lines = [
        "auth cost: CPU added per authenticated GET by the security middleware",
        "| scenario | µs CPU / request | requests |",
        "|---|---|---|",
        *(f"| {r.name} | {r.microseconds:.1f} | {r.requests:,} |" for r in results),
    ]
    cached = results[0].microseconds
    verdict = "met" if cached < TARGET_MICROSECONDS else "MISSED"
    lines.append(
        f"target: {verdict}: authenticated GET with a cached key < {TARGET_MICROSECONDS:.0f} µs "
        f"(measured {cached:.1f} µs)"
    )
    print("\n".join(lines))  # noqa: T201 - the report is the output
    return 0


if __name__ == "__main__":
    sys.exit(main())
