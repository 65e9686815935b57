"""Every relative link in the Markdown a newcomer reads points at a file that exists."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.support.tiers import REPO_ROOT

if TYPE_CHECKING:
    from pathlib import Path

# [text](target) with a relative target; external links and in-page anchors are not files.
LINK = re.compile(r"\[[^\]]*\]\((?!https?://|mailto:|#)([^)\s]+)\)")
DOCUMENTS = sorted(
    [
        REPO_ROOT / "README.md",
        REPO_ROOT / "chart" / "README.md",
        *(REPO_ROOT / "docs").rglob("*.md"),
    ]
)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_relative_links_resolve(document: Path) -> None:
    broken = [
        target
        for target in LINK.findall(document.read_text(encoding="utf-8"))
        if not (document.parent / target.split("#", 1)[0]).exists()
    ]
    assert broken == [], f"{document.name} links to missing files: {broken}"


def test_every_decision_record_is_indexed_and_linked_from_readme() -> None:
    records = sorted(p.name for p in (REPO_ROOT / "docs" / "decisions").glob("[0-9]*.md"))
    index = (REPO_ROOT / "docs" / "decisions" / "README.md").read_text(encoding="utf-8")
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert records, "docs/decisions/ holds no records"
    assert [r for r in records if r not in index] == []
    assert "docs/decisions/" in readme


@pytest.mark.parametrize(
    "record",
    sorted((REPO_ROOT / "docs" / "decisions").glob("[0-9]*.md")),
    ids=lambda p: p.name,
)
def test_decision_record_states_alternatives_and_consequences(record: Path) -> None:
    text = record.read_text(encoding="utf-8")
    for section in ("## Context", "## Decision", "## Alternatives", "## Consequences"):
        assert section in text, f"{record.name} lacks {section}"
    assert re.search(r"^- Date: \d{4}-\d{2}-\d{2}$", text, re.MULTILINE), record.name
