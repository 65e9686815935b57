"""Duplicate keys are refused, wherever they hide, and nothing else is."""

from __future__ import annotations

import pytest

from app.errors import MalformedJson
from app.json_text import decode_json, refuse_duplicate_keys


@pytest.mark.parametrize(
    "body",
    [
        b'{"id": 1, "name": "a", "name": "b"}',
        b'{"id": 1, "\\u0069d": 2, "name": "x"}',  # the same key, spelled with an escape
        b'{"id": {"a": 1, "b": [{}, {}]}, "id": 1, "name": "x"}',  # a big value, dropped
        b'{"id": [0, 0], "id": 1, "name": "\\u003a"}',  # counts tie: the slow path decides
        b'{"id": 1, "name": "x", "extra": {"k": 1, "k": 2}}',  # nested
    ],
    ids=["top level", "escaped key", "hiding an object", "counts tie", "nested"],
)
def test_repeated_keys_are_refused(body: bytes) -> None:
    with pytest.raises(MalformedJson, match="repeats an object key"):
        refuse_duplicate_keys(body, decode_json(body))


@pytest.mark.parametrize(
    "body",
    [
        b'{"id": 1, "name": "a:b{c}"}',
        b'{"id": 1, "name": "\\u003a\\u007b"}',
        b'{ "id" : 1 ,\n  "name" : "x" }',
        b'{"id": 1, "name": "x", "nested": {"id": 2, "name": "y"}}',
    ],
    ids=["colons and braces in strings", "escaped colons and braces", "whitespace", "nested"],
)
def test_unique_keys_pass(body: bytes) -> None:
    refuse_duplicate_keys(body, decode_json(body))


@pytest.mark.parametrize("body", [b"NaN", b'"\\ud800"', b"1e999", b"[" * 2000, b'{"a": 1} x'])
def test_what_parsers_disagree_on_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedJson, match="not valid JSON"):
        decode_json(body)
