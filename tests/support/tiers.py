"""What to do when a tier's tool or server is missing: skip on a laptop, fail in CI."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NoReturn

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS_BIN = REPO_ROOT / ".tools" / "bin"


def in_ci() -> bool:
    """CI=true (as .ci/run sets it) turns every missing dependency into a failure."""
    return os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> NoReturn:
    """Skip the test locally; fail it in CI, where nothing may be silently skipped."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: every test tier must run)", pytrace=False)
    pytest.skip(reason)


def find_tool(name: str, *, install_hint: str) -> Path:
    """A tool from .tools/bin or PATH, else skip/fail saying how to install it."""
    local = TOOLS_BIN / name
    if local.is_file():
        return local
    found = shutil.which(name)
    if found is None:
        unavailable(f"{name} is not installed; {install_hint}")
    return Path(found)
