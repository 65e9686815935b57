"""Static API keys: a file of SHA-256 hashes, each with a caller name and a role.

One line per key: `<name> <role> sha256:<64 hex digits>`; `#` starts a comment.
Keys are random secrets (e.g. `openssl rand -hex 32`), so a fast hash is enough:
nothing is left to brute-force. The file (a mounted Secret) never holds a key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.security.errors import InvalidToken
from app.security.identity import Caller
from app.settings import ConfigurationError

if TYPE_CHECKING:
    from pathlib import Path

    from app.settings import Role

_LINE = re.compile(
    r"(?P<name>[A-Za-z0-9._:@-]{1,64})\s+(?P<role>reader|writer)\s+sha256:(?P<hex>[0-9a-f]{64})"
)


@dataclass(frozen=True, slots=True)
class ApiKey:
    """One accepted key, by the digest of its value."""

    name: str
    role: Role
    digest: bytes


def load_api_keys(path: Path) -> list[ApiKey]:
    """Parse the file; ConfigurationError naming AUTH_API_KEYS_FILE and the line if it is bad."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"AUTH_API_KEYS_FILE: cannot read {path}: {error}") from error
    keys: list[ApiKey] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            raise ConfigurationError(
                f"AUTH_API_KEYS_FILE: {path} line {number}: expected `<name> <reader|writer> "
                "sha256:<64 lower-case hex digits>`"
            )
        role: Role = "writer" if match["role"] == "writer" else "reader"
        keys.append(ApiKey(name=match["name"], role=role, digest=bytes.fromhex(match["hex"])))
    if not keys:
        raise ConfigurationError(f"AUTH_API_KEYS_FILE: {path} holds no key")
    if len({key.name for key in keys}) != len(keys):
        raise ConfigurationError(f"AUTH_API_KEYS_FILE: {path} repeats a key name")
    return keys


class ApiKeyAuthenticator:
    """Accepts a bearer value whose SHA-256 equals a listed digest."""

    def __init__(self, keys: list[ApiKey]) -> None:
        self._keys = tuple(keys)
        self.known_callers = frozenset(key.name for key in keys)

    async def authenticate(self, token: str) -> Caller:
        """The key's caller, or InvalidToken."""
        digest = hashlib.sha256(token.encode()).digest()
        found: ApiKey | None = None
        # Compare against every key, without stopping at a match: the time
        # taken says nothing about which key (or how much of one) matched.
        for key in self._keys:
            if hmac.compare_digest(digest, key.digest):
                found = key
        if found is None:
            raise InvalidToken("unknown API key")
        return Caller(name=found.name, role=found.role)
