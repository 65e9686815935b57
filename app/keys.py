"""Every typed application key, in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pymongo import AsyncMongoClient
    from pymongo.monitoring import CommandListener

    from app.observability.health import Readiness
    from app.observability.inflight import InFlight
    from app.observability.metrics import Metrics
    from app.overload import DatabaseAdmission
    from app.protection.upload_budget import UploadBudget
    from app.settings import Settings
    from app.users.repository import UserRepository

SETTINGS: web.AppKey[Settings] = web.AppKey("settings")
METRICS: web.AppKey[Metrics] = web.AppKey("metrics")
READINESS: web.AppKey[Readiness] = web.AppKey("readiness")
IN_FLIGHT: web.AppKey[InFlight] = web.AppKey("in_flight")
MONGO_CLIENT: web.AppKey[AsyncMongoClient[dict[str, Any]]] = web.AppKey("mongo_client")
ADMISSION: web.AppKey[DatabaseAdmission] = web.AppKey("admission")
# Driver event listeners for the client (the tracing's command spans); empty when untraced.
MONGO_EVENT_LISTENERS: web.AppKey[Sequence[CommandListener]] = web.AppKey("mongo_event_listeners")
USERS: web.AppKey[UserRepository] = web.AppKey("users")
OPENAPI_DOCUMENT: web.AppKey[bytes] = web.AppKey("openapi_document")
UPLOAD_BUDGET: web.AppKey[UploadBudget] = web.AppKey("upload_budget")
