"""Liveness of each component the API depends on, and what needs an operator (no auth).

``error`` (503) when the database, Redis or the search backend is down; ``degraded`` (200:
serving, but look) when the disk is nearly full, workers are paused, documents wait for a
retry after a transient fault, or the fixity check found damaged or missing files.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from api.deps import ServicesDep, SessionDep
from api.schemas import ComponentHealth, HealthPublic
from ingest import upload_tmp_dir
from sohoa.core.models import Document
from sohoa.core.redact import without_paths
from sohoa.core.vocab import DocumentStatus, HealthStatus
from sohoa.services import Services
from sohoa.storage.space import free_space, low_space
from workers.jobs.fixity import fixity_problems, fixity_summary

router = APIRouter(tags=["health"])


def _check(probe: Callable[[], object]) -> ComponentHealth:
    try:
        ok = probe()
    except Exception as exc:  # noqa: BLE001 - any failure of a component is its health
        return ComponentHealth(status=HealthStatus.ERROR, error=without_paths(f"{type(exc).__name__}: {exc}")[:300])
    if isinstance(ok, ComponentHealth):
        return ok
    if ok is False:
        return ComponentHealth(status=HealthStatus.ERROR, error="ping failed")
    return ComponentHealth(status=HealthStatus.OK)


def _disk(services: Services) -> ComponentHealth:
    """Free space by role (archive, temp, uploads), never by server path: /healthz needs no key."""
    named = {"archive": services.settings.archive_root, "temp": Path(tempfile.gettempdir()),
             "uploads": upload_tmp_dir(services.settings)}
    reason = low_space(services.settings, list(named.values()))
    detail = {name: round(free_space(p).free_mb) for name, p in named.items()}
    return ComponentHealth(status=HealthStatus.DEGRADED if reason else HealthStatus.OK,
                           error=without_paths(reason) if reason else None,
                           detail={"free_mb": detail, "min_free_mb": services.settings.min_free_disk_mb})


def _workers(services: Services, session: Session) -> ComponentHealth:
    paused = services.queue.paused_workers()
    waiting = session.scalar(select(func.count()).select_from(Document).where(
        Document.status == DocumentStatus.QUEUED, Document.retry_at.is_not(None))) or 0
    reasons = [f"{len(paused)} worker(s) paused: {without_paths(next(iter(paused.values())))}"] if paused else []
    if waiting:
        reasons.append(f"{waiting} document(s) wait for a retry after a transient fault")
    detail: dict[str, Any] = {"paused": {name: without_paths(why) for name, why in paused.items()},
                              "waiting_retry": waiting}
    return ComponentHealth(status=HealthStatus.DEGRADED if reasons else HealthStatus.OK,
                           error="; ".join(reasons) or None, detail=detail)


def _fixity(session: Session) -> ComponentHealth:
    summary, problems = fixity_summary(session), fixity_problems(session)
    reason = f"{problems} stored file(s) failed their fixity check" if problems else None
    return ComponentHealth(status=HealthStatus.DEGRADED if problems else HealthStatus.OK, error=reason,
                           detail=summary)


@router.get("/healthz", response_model=HealthPublic, responses={503: {"model": HealthPublic}})
def healthz(session: SessionDep, services: ServicesDep) -> JSONResponse:
    components = {
        "database": _check(lambda: session.execute(text("SELECT 1")).scalar_one() == 1),
        "redis": _check(services.queue.ping),
        "search": _check(lambda: services.search.ping()),  # noqa: PLW0108 - opening it may fail too
        "disk": _check(lambda: _disk(services)),
        "workers": _check(lambda: _workers(services, session)),
        "fixity": _check(lambda: _fixity(session)),
    }
    states = {c.status for c in components.values()}
    status = (HealthStatus.ERROR if HealthStatus.ERROR in states
              else HealthStatus.DEGRADED if HealthStatus.DEGRADED in states else HealthStatus.OK)
    body = HealthPublic(status=status, components=components)
    return JSONResponse(body.model_dump(mode="json"), status_code=503 if status == HealthStatus.ERROR else 200)
