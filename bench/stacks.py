"""Where the service's time goes: py-spy raw stacks folded into components.

Each sample counts once. A sample inside a feature (access log, metrics,
pydantic, the driver) belongs to the outermost such feature on its stack, so
orjson called by the log renderer counts as logging. Other samples belong to
the innermost frame of aiohttp, the app or the event loop; standard-library
frames (uuid, re, contextlib) count for whoever called them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^():]+)(?::(?P<line>\d+))?\)$")
LOGGING = "access log (structlog, stdlib logging, its orjson)"
FEATURES = (
    (LOGGING, ("structlog/", "logging/", "app/observability/logging.py")),
    ("metrics (prometheus_client)", ("prometheus_client/",)),
    ("validation (pydantic)", ("pydantic/", "pydantic_core/")),
    ("database driver (pymongo, bson)", ("pymongo/", "bson/")),
)
JSON = "response JSON (orjson.dumps)"
_JSON_FRAMES = {("json_response", "app/users/routes.py"), ("_json", "app/observability/health.py")}
SOCKET_WRITES = "aiohttp: response socket writes"
PLACES = (
    (SOCKET_WRITES, ("aiohttp/http_writer.py",)),
    ("aiohttp: parsing, routing, request/response objects", ("aiohttp/", "multidict/", "yarl/")),
    ("app code (middleware, handlers, repository)", ("app/",)),
    ("event loop (uvloop, asyncio, socket reads)", ("asyncio/", "uvloop/")),
)
OTHER = "other"


@dataclass(frozen=True, slots=True)
class Frame:
    """One Python frame of a sample, as py-spy names it."""

    function: str
    file: str
    line: str

    def __str__(self) -> str:
        return f"{self.function} ({self.file}:{self.line})"


Stack = tuple[Frame, ...]


@dataclass(frozen=True, slots=True)
class Profile:
    """The samples of one scenario: (stack from root to leaf, count)."""

    scenario: str
    concurrency: int
    samples: list[tuple[Stack, int]]


def read_raw(path: Path) -> list[tuple[Stack, int]]:
    """Parse py-spy's `--format raw` (folded stacks: `frame;frame;... count`)."""
    samples = []
    for text in path.read_text(encoding="utf-8").splitlines():
        stack, _, count = text.rpartition(" ")
        found = (_FRAME.match(part) for part in stack.split(";"))
        frames = [Frame(m["function"], m["file"], m["line"] or "") for m in found if m]
        if count.isdigit() and frames:
            samples.append((tuple(frames), int(count)))
    return samples


def _matches(frame: Frame, prefixes: Sequence[str]) -> bool:
    return any(frame.file.startswith(prefix) for prefix in prefixes)


def component(stack: Stack) -> str:
    """The one component a sample is charged to (see the module docstring)."""
    for frame in stack:
        for name, prefixes in FEATURES:
            if _matches(frame, prefixes):
                return name
    for frame in reversed(stack):
        if (frame.function, frame.file) in _JSON_FRAMES and frame is stack[-1]:
            return JSON
        for name, prefixes in PLACES:
            if _matches(frame, prefixes):
                return name
    return OTHER


def _share(counter: Counter[str], total: int, top: int) -> list[tuple[str, str]]:
    return [(name, f"{count / total:.1%}") for name, count in counter.most_common(top)]


def _table(headers: tuple[str, str], rows: list[tuple[str, str]]) -> list[str]:
    lines = [f"| {headers[0]} | {headers[1]} |", "|---|---:|"]
    return lines + [f"| {name} | {share} |" for name, share in rows]


def summarize(profile: Profile) -> list[str]:
    """Markdown for one scenario: components, app functions (inclusive), hottest leaf lines."""
    components: Counter[str] = Counter()
    app_inclusive: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for stack, count in profile.samples:
        components[component(stack)] += count
        leaves[str(stack[-1])] += count
        for name in {f"{frame.function} ({frame.file})" for frame in stack}:
            if name.endswith(".py)") and " (app/" in name and "__main__" not in name:
                app_inclusive[name] += count
    total = sum(components.values()) or 1
    lines = [f"## {profile.scenario} at concurrency {profile.concurrency}", ""]
    lines.append(f"{total:,} samples while the service was on or waiting for a CPU.")
    lines += [
        "",
        *_table(("component (each sample counted once)", "share"), _share(components, total, 20)),
    ]
    lines += [
        "",
        *_table(("app function, inclusive of callees", "share"), _share(app_inclusive, total, 10)),
    ]
    lines += ["", *_table(("hottest leaf frames (self time)", "share"), _share(leaves, total, 10))]
    return [*lines, ""]


def render_profile(profiles: list[Profile], *, machine: dict[str, str], backend: str) -> str:
    """bench/results/profile.md."""
    lines = [
        "# Profile of the hot path",
        "",
        "Written by `make profile` (bench/profile.py): py-spy samples the running service",
        "(`--nonblocking`, idle time excluded) while wrk drives each scenario.",
        (
            f"Measured {machine['date']} at revision `{machine['revision']}` on "
            f"{machine['cpus']} CPUs ({machine['cpu_model']}); database: {backend}."
        ),
        "",
        "Time in C (orjson, uvloop, the kernel's socket calls) is charged to the Python",
        "line that called it. wrk, the database and the service share the CPUs, so a",
        "socket write that wakes a peer may include waiting for a CPU again. Unpaused",
        "sampling sometimes catches a coroutine chain half-switched; such samples keep",
        "their innermost frames, which is what the component split uses.",
        "",
    ]
    for profile in profiles:
        lines += summarize(profile)
    return "\n".join(lines)
