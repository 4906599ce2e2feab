"""Liveness of each component the API depends on; 503 when any is down (no auth)."""

from __future__ import annotations

from collections.abc import Callable

import redis
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import SessionDep, SettingsDep
from api.schemas import ComponentHealth, HealthPublic
from search import open_backend
from sohoa.core.config import Settings

router = APIRouter(tags=["health"])


def _check(probe: Callable[[], object]) -> ComponentHealth:
    try:
        ok = probe()
    except Exception as exc:
        return ComponentHealth(status="error", error=f"{type(exc).__name__}: {exc}"[:300])
    return ComponentHealth(status="ok") if ok is not False else ComponentHealth(status="error", error="ping failed")


def _ping_redis(settings: Settings) -> bool:
    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
    try:
        return bool(client.ping())
    finally:
        client.close()


def _ping_search(settings: Settings) -> bool:
    backend = open_backend(settings)
    try:
        return bool(backend.ping())
    finally:
        backend.close()


@router.get("/healthz", response_model=HealthPublic, responses={503: {"model": HealthPublic}})
def healthz(session: SessionDep, settings: SettingsDep) -> JSONResponse:
    components = {
        "database": _check(lambda: session.execute(text("SELECT 1")).scalar_one() == 1),
        "redis": _check(lambda: _ping_redis(settings)),
        "search": _check(lambda: _ping_search(settings)),
    }
    healthy = all(c.status == "ok" for c in components.values())
    body = HealthPublic(status="ok" if healthy else "error", components=components)
    return JSONResponse(body.model_dump(), status_code=200 if healthy else 503)
