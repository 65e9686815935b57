"""JSON text -> Python values in linear time, refusing what JSON parsers disagree on.

orjson is the parser of record: it is fast, caps nesting, and refuses NaN,
lone surrogates and numbers beyond a double. It silently keeps the last of
duplicate keys, as most parsers do while some keep the first; a proxy or
audit log in front of the service could then see another document than the
one stored. I-JSON (RFC 7493 section 2.3) forbids duplicate names, so the
stdlib parser, which reports every member pair, checks for them.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from app.errors import MalformedJson


def decode_json(body: bytes) -> object:
    """The document, or MalformedJson (400) naming the position of the first fault."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise MalformedJson(f"the body is not valid JSON: {error}") from None


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise MalformedJson(
                    f"the body repeats the key {name!r}; JSON object keys must be unique "
                    "(RFC 7493 I-JSON)"
                )
            seen.add(name)
    return members


def refuse_duplicate_keys(body: bytes) -> None:
    """MalformedJson (400) if any object in the (already valid) document repeats a key."""
    json.loads(body, object_pairs_hook=_refuse_duplicates)
