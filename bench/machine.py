"""What the figures were measured on: hardware, software versions, revision, date."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _first(path: str, pattern: str) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return "unknown"
    found = re.search(pattern, text, re.MULTILINE)
    return found.group(1).strip() if found else "unknown"


def _command(argv: list[str]) -> str:
    try:
        completed = subprocess.run(  # noqa: S603 - fixed argv
            argv, capture_output=True, text=True, timeout=10, check=False, cwd=REPO
        )
    except OSError:
        return "unknown"
    text = (completed.stdout or completed.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


def git_revision() -> str:
    """Short commit id, `-dirty` when the measured code (app/, dependencies) differs from it."""
    revision = _command(["git", "rev-parse", "--short=12", "HEAD"])
    dirty = _command(
        [
            "git",
            "status",
            "--porcelain",
            "--untracked-files=no",
            "--",
            "app",
            "pyproject.toml",
            "uv.lock",
        ]
    )
    # _command says "unknown" for empty output: that is a clean tree, not a dirty one.
    return f"{revision}-dirty" if dirty != "unknown" else revision


def describe_machine() -> dict[str, str]:
    """Facts that decide how comparable two runs are."""
    mem_kib = _first("/proc/meminfo", r"^MemTotal:\s+(\d+)")
    memory = f"{int(mem_kib) / 1024**2:.1f} GiB" if mem_kib.isdigit() else "unknown"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "revision": git_revision(),
        "cpus": str(os.cpu_count()),
        "cpu_model": _first("/proc/cpuinfo", r"^model name\s*:\s*(.+)$"),
        "memory": memory,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "aiohttp": metadata.version("aiohttp"),
        "pymongo": metadata.version("pymongo"),
        "uvloop": metadata.version("uvloop"),
        "wrk": _command(["wrk", "--version"]).split(" [")[0],
    }
