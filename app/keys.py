"""Every typed application key, in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from pymongo import AsyncMongoClient

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
USERS: web.AppKey[UserRepository] = web.AppKey("users")
OPENAPI_DOCUMENT: web.AppKey[bytes] = web.AppKey("openapi_document")
UPLOAD_BUDGET: web.AppKey[UploadBudget] = web.AppKey("upload_budget")
