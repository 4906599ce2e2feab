"""Resumable uploads: abandoned ones removed, finished ones forgotten, stray files deleted.

``expire_uploads`` is run by the reconciler; an upload whose last chunk is older than
``upload_expiry_hours`` is answered 410 ``upload_expired`` from then on.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from ingest.resumable.uploads import HAND_OVER, part_path, uploads_dir
from sohoa.core.clock import utcnow
from sohoa.core.config import Settings
from sohoa.core.db import changed_rows, session_scope
from sohoa.core.models import Upload
from sohoa.core.vocab import UploadState

log = logging.getLogger(__name__)

TERMINAL_STATES = (UploadState.DONE, UploadState.FAILED, UploadState.EXPIRED, UploadState.TERMINATED)


def expire_uploads(settings: Settings, session_factory: sessionmaker[Session],
                   now: datetime | None = None) -> dict[str, int]:
    """Remove uploads whose last chunk is older than ``upload_expiry_hours`` (their bytes
    first), forget finished ones as old, and delete files no row names."""
    now = now or utcnow()
    horizon = now - timedelta(hours=settings.upload_expiry_hours)
    with session_scope(session_factory) as session:
        stale = list(session.scalars(select(Upload.id).where(
            Upload.state == UploadState.RECEIVING, Upload.expires_at < now)))
        expired = [upload_id for upload_id in stale if changed_rows(session, update(Upload).where(
            Upload.id == upload_id, Upload.state == UploadState.RECEIVING, Upload.expires_at < now)
            .values(state=UploadState.EXPIRED, updated_at=now))]
    for upload_id in expired:
        part_path(settings, upload_id).unlink(missing_ok=True)
        log.info("upload %s expired; its partial bytes were removed", upload_id)
    with session_scope(session_factory) as session:
        forgotten = changed_rows(session, delete(Upload).where(
            Upload.state.in_(TERMINAL_STATES), Upload.updated_at < horizon))
        known = set(session.scalars(select(Upload.id)))
    strays = _remove_strays(settings, known, horizon)
    return {"uploads_expired": len(expired), "uploads_forgotten": forgotten, "upload_strays": strays}


def _remove_strays(settings: Settings, known: set[str], horizon: datetime) -> int:
    """Files left by a creation that died between its file and its row, by a forgotten row,
    or by a registration that died after handing the bytes over."""
    removed = 0
    folder = uploads_dir(settings)
    for path in folder.iterdir() if folder.is_dir() else ():
        stray = (path.name.endswith(".part") and path.stem not in known) or HAND_OVER in path.name
        with contextlib.suppress(FileNotFoundError):
            if stray and path.stat().st_mtime < horizon.timestamp():
                path.unlink()
                removed += 1
    return removed
