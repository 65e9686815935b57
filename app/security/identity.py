"""Who is calling, and what each role may do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.settings import Role

# Methods that change nothing need only `reader`; everything else needs `writer`.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated caller: its name (subject or key name) and role, if granted one."""

    name: str
    role: Role | None


def required_role(method: str) -> Role:
    """The role a request method needs."""
    return "reader" if method in READ_METHODS else "writer"


def permits(role: Role | None, needed: Role) -> bool:
    """Whether a role covers what a request needs (`writer` includes `reader`)."""
    return role in {"writer", needed}
