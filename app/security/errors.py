"""Why a request was not admitted; only middleware.py turns these into HTTP answers."""

from __future__ import annotations


class AuthFailure(Exception):
    """Base of every refusal; `outcome` is the metric label and log field."""

    outcome = "invalid"


class MissingCredentials(AuthFailure):
    """No `Authorization: Bearer` header (401 without an error code, RFC 6750 section 3.1)."""

    outcome = "missing"


class MalformedCredentials(AuthFailure):
    """An Authorization header that is not one well-formed bearer token (400 invalid_request)."""

    outcome = "malformed"


class InvalidToken(AuthFailure):
    """A token that does not verify: signature, expiry, issuer, audience, algorithm (401)."""

    outcome = "invalid"


class KeysUnavailable(AuthFailure):
    """No verification keys could be loaded, so no token can be judged (503)."""

    outcome = "unavailable"
