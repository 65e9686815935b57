"""Domain errors, raised by the repository and by parsing; only problems.py maps them to HTTP."""

from __future__ import annotations

from dataclasses import dataclass

# A problem document names at most this many field errors plus their total, so
# its size (and the work to build it) stays bounded whatever the input.
MAX_FIELD_ERRORS = 20


class DomainError(Exception):
    """Base of every error a client can cause or observe."""


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid input: a JSON Pointer into the body (as in RFC 9457's example) or a parameter."""

    detail: str
    pointer: str | None = None
    parameter: str | None = None


class InvalidRequest(DomainError):
    """The request parsed, but its content is invalid (422); keeps the first MAX_FIELD_ERRORS."""

    def __init__(self, detail: str, errors: list[FieldError], *, total: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors[:MAX_FIELD_ERRORS]
        self.total = len(errors) if total is None else total


class MalformedJson(DomainError):
    """The body is not a JSON document (400)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BodyReadTimeout(DomainError):
    """The client sent its body too slowly (408)."""


class UndecodableBody(DomainError):
    """The body's framing or Content-Encoding is broken (400); the connection cannot be reused."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class UnsupportedEncoding(DomainError):
    """The body uses a Content-Encoding the service does not decode (415)."""

    def __init__(self, encoding: str, supported: tuple[str, ...]) -> None:
        super().__init__(f"unsupported Content-Encoding {encoding!r}")
        self.encoding = encoding
        self.supported = supported


class ClientDisconnected(DomainError):
    """The client went away before its request was complete (499, never delivered)."""


class UploadBudgetExhausted(DomainError):
    """Bodies already being buffered use the process-wide budget (503 before reading this one)."""


class UserNotFound(DomainError):
    """No user has the requested id (404)."""

    def __init__(self, user_id: int) -> None:
        super().__init__(f"user {user_id} does not exist")
        self.user_id = user_id


class UserExists(DomainError):
    """A user with that id already exists (409)."""

    def __init__(self, user_id: int) -> None:
        super().__init__(f"user {user_id} already exists")
        self.user_id = user_id


class DatabaseUnavailable(DomainError):
    """The database did not answer within the configured timeout (503)."""


class StoredUserUnusable(DomainError):
    """The stored document with that id is in a shape the service cannot serve or update (409)."""

    def __init__(self, user_id: int, field: str) -> None:
        remedy = "PUT a new name to repair it" if field == "name" else "an operator must repair it"
        super().__init__(
            f"user {user_id} is stored with an unusable `{field}` (written by another tool); "
            f"{remedy}, or DELETE it"
        )
        self.user_id = user_id
        self.field = field


class PreconditionFailed(DomainError):
    """If-Match named a version the user no longer has (412)."""

    def __init__(self, user_id: int) -> None:
        super().__init__(
            f"user {user_id} has changed since the version named in If-Match; "
            "GET it again and retry with its new ETag"
        )
        self.user_id = user_id


class Overloaded(DomainError):
    """Too many requests are waiting on the database already; refused at once (503)."""
