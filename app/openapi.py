"""The OpenAPI 3.1 document: operations listed here, schemas generated from the models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import TypeAdapter

from app import __version__
from app.errors import FieldError  # noqa: TC001 - pydantic reads Problem's annotations
from app.problems import PROBLEM_CONTENT_TYPE
from app.users.models import MAX_USER_ID, User, UserCreate, UserPage, UserReplace
from app.users.routes import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

_REF = "#/components/schemas/{model}"


@dataclass(frozen=True, slots=True)
class Problem:
    """RFC 9457 problem details; on 422 `errors` lists up to 20 invalid fields of `error_count`."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None
    error_count: int | None = None


@dataclass(frozen=True, slots=True)
class Health:
    """Probe answer; `reason` says why the service is not ready."""

    status: Literal["ok", "ready", "not_ready"]
    reason: str | None = None


def _schemas() -> dict[str, Any]:
    adapters: list[tuple[str, Literal["validation", "serialization"], TypeAdapter[Any]]] = [
        ("UserCreate", "validation", TypeAdapter(UserCreate)),
        ("UserReplace", "validation", TypeAdapter(UserReplace)),
        ("User", "serialization", TypeAdapter(User)),
        ("UserPage", "serialization", TypeAdapter(UserPage)),
        ("Problem", "serialization", TypeAdapter(Problem)),
        ("Health", "serialization", TypeAdapter(Health)),
    ]
    _, definitions = TypeAdapter.json_schemas(
        [(name, mode, adapter) for name, mode, adapter in adapters], ref_template=_REF
    )
    return dict(definitions["$defs"])


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF.format(model=name)}


def _json(
    schema: dict[str, Any], description: str, media: str = "application/json"
) -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": schema}}}


def _problems(*statuses: int) -> dict[str, Any]:
    descriptions = {
        400: "Malformed JSON (duplicate object keys included), or a body whose framing or "
        "Content-Encoding cannot be decoded.",
        404: "No such user, or no such route.",
        409: "A user with this id already exists (POST), or the stored user is in a shape "
        "the service cannot serve (type `.../stored-user-unusable`).",
        412: "If-Match names none of the user's current ETags: it changed meanwhile.",
        413: "The body exceeds MAX_BODY_BYTES.",
        415: "A Content-Encoding other than gzip, deflate or identity.",
        422: "Invalid fields, parameters or ids: the first 20 in `errors`, their total in "
        "`error_count`.",
        503: "The database is unavailable, MAX_IN_FLIGHT database calls are running already "
        "(type `.../overloaded`, answered at once), or the bodies being received use the upload "
        "budget; retry after Retry-After seconds.",
    }
    return {
        str(status): _json(_ref("Problem"), descriptions[status], PROBLEM_CONTENT_TYPE)
        for status in statuses
    }


_ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_USER_ID}
_PATH_ID = {"name": "id", "in": "path", "required": True, "schema": _ID_SCHEMA}
_BODY_CREATE = {"required": True, "content": {"application/json": {"schema": _ref("UserCreate")}}}
_BODY_REPLACE = {
    "required": True,
    "description": "An `id`, when given, must equal the id in the path (else 422).",
    "content": {"application/json": {"schema": _ref("UserReplace")}},
}


_ETAG = {
    "ETag": {
        "description": "Strong validator of this state of the user; changes with every write.",
        "schema": {"type": "string"},
    }
}
_IF_NONE_MATCH_TEXT = "ETags the client holds (or `*`); 304 without a body when one is current."
_IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "schema": {"type": "string"},
    "description": _IF_NONE_MATCH_TEXT,
}
_IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "schema": {"type": "string"},
    "description": "Write only if the user still has one of these ETags (strong comparison), "
    "checked inside the database write; else 412. `*` asks only that the user exists.",
}
_NOT_MODIFIED = {"304": {"description": "Not modified: the ETag is current.", "headers": _ETAG}}


def _user(description: str) -> dict[str, Any]:
    return {**_json(_ref("User"), description), "headers": _ETAG}


def _paths() -> dict[str, Any]:
    user = _user("The user.")
    return {
        "/users": {
            "post": {
                "operationId": "createUser",
                "summary": "Create a user with a client-chosen id.",
                "requestBody": _BODY_CREATE,
                "responses": {
                    "201": {
                        **_json(_ref("User"), "Created."),
                        "headers": {"Location": {"schema": {"type": "string"}}, **_ETAG},
                    },
                    **_problems(400, 409, 413, 415, 422, 503),
                },
            },
            "get": {
                "operationId": "listUsers",
                "summary": "A page of users in id order, or one user with ?id=N.",
                "parameters": [
                    {
                        "name": "id",
                        "in": "query",
                        "schema": _ID_SCHEMA,
                        "description": "Look up one user (then no other parameter is allowed).",
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": MAX_PAGE_SIZE,
                            "default": DEFAULT_PAGE_SIZE,
                        },
                    },
                    {
                        "name": "after",
                        "in": "query",
                        "schema": _ID_SCHEMA,
                        "description": "The `next_after` of the previous page.",
                    },
                    {
                        **_IF_NONE_MATCH,
                        "description": f"With `id`: {_IF_NONE_MATCH_TEXT}",
                    },
                ],
                "responses": {
                    "200": {
                        **_json(
                            {"anyOf": [_ref("UserPage"), _ref("User")]},
                            "A page, or the user (then with its ETag).",
                        ),
                        "headers": _ETAG,
                    },
                    **_NOT_MODIFIED,
                    **_problems(404, 409, 422, 503),
                },
            },
        },
        "/users/{id}": {
            "parameters": [_PATH_ID],
            "get": {
                "operationId": "getUser",
                "summary": "One user.",
                "parameters": [_IF_NONE_MATCH],
                "responses": {"200": user, **_NOT_MODIFIED, **_problems(404, 409, 422, 503)},
            },
            "put": {
                "operationId": "replaceUser",
                "summary": "Replace a user's name.",
                "parameters": [_IF_MATCH],
                "requestBody": _BODY_REPLACE,
                "responses": {"200": user, **_problems(400, 404, 409, 412, 413, 415, 422, 503)},
            },
            "delete": {
                "operationId": "deleteUser",
                "summary": "Delete a user.",
                "parameters": [_IF_MATCH],
                "responses": {
                    "204": {"description": "Deleted."},
                    **_problems(404, 412, 422, 503),
                },
            },
        },
        "/healthz": {
            "get": {
                "operationId": "getLiveness",
                "summary": "Liveness; never touches the database.",
                "responses": {"200": _json(_ref("Health"), "Alive.")},
            }
        },
        "/readyz": {
            "get": {
                "operationId": "getReadiness",
                "summary": "Readiness: the database answers and no shutdown is under way.",
                "responses": {
                    "200": _json(_ref("Health"), "Ready."),
                    "503": _json(_ref("Health"), "Not ready; see reason."),
                },
            }
        },
        "/metrics": {
            "get": {
                "operationId": "getMetrics",
                "summary": "Prometheus exposition.",
                "responses": {"200": _json({"type": "string"}, "Metrics.", "text/plain")},
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "getOpenApi",
                "summary": "This document.",
                "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1 document.")},
            }
        },
    }


_SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": (
        "A bearer token, by AUTH_MODE: a Kubernetes ServiceAccount token (audience "
        "AUTH_AUDIENCE), a JWT from the configured OIDC issuer, or a static API key. "
        "`reader` may GET; `writer` may do everything."
    ),
}
_AUTH_PROBLEMS = {
    "400": "Malformed Authorization header (RFC 6750 invalid_request).",
    "401": "No bearer token, or one that does not verify; see WWW-Authenticate.",
    "403": "The caller lacks the role this method needs.",
}


def _secured(paths: dict[str, Any]) -> dict[str, Any]:
    """Every /users operation requires the bearer scheme; the rest are explicitly open."""
    for path, item in paths.items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            if not path.startswith("/users"):
                operation["security"] = []
                continue
            operation["security"] = [{"bearerAuth": []}]
            for status, description in _AUTH_PROBLEMS.items():
                operation["responses"].setdefault(
                    status, _json(_ref("Problem"), description, PROBLEM_CONTENT_TYPE)
                )
    return paths


def build_openapi(*, authenticated: bool = False) -> dict[str, Any]:
    """The whole document (with its security scheme when /users needs credentials); pure."""
    paths = _secured(_paths()) if authenticated else _paths()
    components: dict[str, Any] = {"schemas": _schemas()}
    if authenticated:
        components["securitySchemes"] = {"bearerAuth": _SECURITY_SCHEME}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "users-api",
            "version": __version__,
            "description": "Users CRUD over MongoDB. Errors are RFC 9457 problem details.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "paths": paths,
        "components": components,
    }
