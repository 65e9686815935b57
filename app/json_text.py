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


_DUPLICATE = "the body repeats an object key; JSON object keys must be unique (RFC 7493 I-JSON)"


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) != len(pairs):
        raise MalformedJson(_DUPLICATE)
    return members


def refuse_duplicate_keys(body: bytes, document: object) -> None:
    """MalformedJson (400) if an object in body, which decoded to document, repeats a key.

    Counting first keeps this cheap whatever hides in a duplicate's value. A
    raw ':' or '{' in the body is structure or a literal character of a
    string (no escape sequence contains one), and orjson writes both raw; so
    every one of them in the kept members is also in the re-encoded document,
    and a body holding more of either must hold a member the parser dropped:
    a duplicate. Only when the counts tie does the stdlib parser look, and
    then the dropped members can hold only as many objects as the kept
    strings hide colons and braces as unicode escapes.
    """
    canonical = orjson.dumps(document)
    if body.count(b":") > canonical.count(b":") or body.count(b"{") > canonical.count(b"{"):
        raise MalformedJson(_DUPLICATE)
    json.loads(body, object_pairs_hook=_refuse_duplicates)
