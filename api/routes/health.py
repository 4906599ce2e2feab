"""Liveness of each component the API depends on; 503 when any is down (no auth)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import ServicesDep, SessionDep
from api.schemas import ComponentHealth, HealthPublic
from sohoa.core.vocab import HealthStatus

router = APIRouter(tags=["health"])


def _check(probe: Callable[[], object]) -> ComponentHealth:
    try:
        ok = probe()
    except Exception as exc:  # noqa: BLE001 - any failure of a component is its health
        return ComponentHealth(status=HealthStatus.ERROR, error=f"{type(exc).__name__}: {exc}"[:300])
    if ok is False:
        return ComponentHealth(status=HealthStatus.ERROR, error="ping failed")
    return ComponentHealth(status=HealthStatus.OK)


@router.get("/healthz", response_model=HealthPublic, responses={503: {"model": HealthPublic}})
def healthz(session: SessionDep, services: ServicesDep) -> JSONResponse:
    components = {
        "database": _check(lambda: session.execute(text("SELECT 1")).scalar_one() == 1),
        "redis": _check(services.queue.ping),
        "search": _check(lambda: services.search.ping()),  # noqa: PLW0108 - opening it may fail too
    }
    healthy = all(c.status == HealthStatus.OK for c in components.values())
    body = HealthPublic(status=HealthStatus.OK if healthy else HealthStatus.ERROR, components=components)
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if healthy else 503)
