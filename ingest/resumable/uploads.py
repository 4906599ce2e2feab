"""Resumable uploads: who asks, creation (quota, a twin resumed), status, cancelling.

An upload's row in ``uploads`` holds its acknowledged offset; its bytes live in
``<archive>/uploads/<id>.part`` (``part_path``), written by ``ingest.resumable.chunks``.

Space: the declared lengths of a caller's unfinished uploads count against their quota, so
their partial bytes can never exceed it; each file stays within ``max_file_bytes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from ingest.register import check_room
from ingest.tus_protocol import UploadMeta
from sohoa.core.clock import utcnow
from sohoa.core.config import Settings
from sohoa.core.db import session_scope
from sohoa.core.errors import Conflict, Gone, NotFound, TooLarge, UnprocessableFile
from sohoa.core.models import Upload, new_id
from sohoa.core.vocab import UNFINISHED_UPLOAD_STATES, UploadState

HAND_OVER = ".handover-"  # a complete file's second name, on its way into the archive


@dataclass(frozen=True)
class Uploader:
    """Who calls: ``owner`` is their identity for access and quota (``Principal.ref``:
    ``user:<id>`` for a person, ``key:<id>`` for an API key)."""

    owner: str
    key_id: int | None
    user_id: int | None = None
    is_admin: bool = False


@dataclass(frozen=True)
class UploadStatus:
    id: str
    state: UploadState
    offset: int
    length: int
    filename: str
    batch_id: str
    creates_batch: bool
    metadata: str
    expires_at: datetime
    error_code: str | None = None
    error_message: str | None = None

    @classmethod
    def of(cls, row: Upload) -> UploadStatus:
        return cls(row.id, UploadState(row.state), row.offset, row.length, row.filename, row.batch_id,
                   row.creates_batch, row.upload_metadata, row.expires_at, row.error_code, row.error_message)


def uploads_dir(settings: Settings) -> Path:
    """On the archive's volume: every process of the production stack (the API, the
    reconciler that finishes and expires uploads) sees the same files, and a complete file
    becomes its original by a hard link, not a copy."""
    return settings.archive_root / "uploads"


def part_path(settings: Settings, upload_id: str) -> Path:
    return uploads_dir(settings) / f"{upload_id}.part"


def create_upload(settings: Settings, session_factory: sessionmaker[Session], caller: Uploader, length: int,
                  meta: UploadMeta) -> UploadStatus:
    """A new upload of ``length`` bytes, its empty file on disk. Refused before anything is
    stored when the file is empty or too large, its batch is missing or full, or the
    caller's quota cannot hold it. (Whether the caller may add to ``meta.batch_id`` is the
    API's check: it owns authorization.)"""
    if length == 0:
        raise UnprocessableFile("file is empty", code="empty_file")
    if length > settings.max_file_bytes:
        raise TooLarge(f"file is larger than the limit of {settings.max_file_bytes} bytes",
                       detail={"size_bytes": length, "max_bytes": settings.max_file_bytes})
    if meta.batch_id is not None:
        check_room(settings, session_factory, meta.batch_id, 1)
    same = _unfinished_twin(session_factory, caller, length, meta)
    if same is not None:
        return same
    now = utcnow()
    row = Upload(id=new_id(), owner=caller.owner, created_by_key_id=caller.key_id, created_by_user_id=caller.user_id,
                 state=UploadState.RECEIVING,
                 length=length, offset=0, filename=meta.filename, upload_metadata=meta.raw,
                 batch_id=meta.batch_id or new_id(), creates_batch=meta.batch_id is None,
                 agency_code=meta.batch.agency_code, procedure_code=meta.batch.procedure_code, note=meta.batch.note,
                 expected_sha256=meta.sha256, created_at=now, updated_at=now,
                 expires_at=now + timedelta(hours=settings.upload_expiry_hours))
    path = part_path(settings, row.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    try:
        with session_scope(session_factory) as session:
            session.add(row)
        _check_quota(settings, session_factory, caller, row.id)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return UploadStatus.of(row)


def _unfinished_twin(session_factory: sessionmaker[Session], caller: Uploader, length: int,
                     meta: UploadMeta) -> UploadStatus | None:
    """The caller's unfinished upload of the same file (by its declared ``sha256``) to the
    same place: creating it again returns it, so a creation whose answer was lost, or a
    client that forgot the URL, resumes it instead of leaving a twin to hold the quota."""
    if meta.sha256 is None:
        return None
    with session_factory() as session:
        query = select(Upload).where(Upload.owner == caller.owner, Upload.state == UploadState.RECEIVING,
                                     Upload.expected_sha256 == meta.sha256, Upload.length == length,
                                     Upload.filename == meta.filename)
        if meta.batch_id is not None:
            query = query.where(Upload.batch_id == meta.batch_id, Upload.creates_batch.is_(False))
        else:
            query = query.where(Upload.creates_batch.is_(True), Upload.agency_code == meta.batch.agency_code,
                                Upload.procedure_code == meta.batch.procedure_code)
        row = session.scalars(query.order_by(Upload.created_at.desc()).limit(1)).first()
        return UploadStatus.of(row) if row is not None else None


def _check_quota(settings: Settings, session_factory: sessionmaker[Session], caller: Uploader,
                 upload_id: str) -> None:
    """Counted after the new row is committed, so two creations at once cannot both slip
    under the limit: each sees the other, and over it the new one is removed again."""
    with session_scope(session_factory) as session:
        held = int(session.scalar(select(func.coalesce(func.sum(Upload.length), 0)).where(
            Upload.owner == caller.owner, Upload.state.in_(UNFINISHED_UPLOAD_STATES))) or 0)  # a Decimal on PostgreSQL
        if held <= settings.upload_quota_bytes:
            return
        session.execute(delete(Upload).where(Upload.id == upload_id))
    raise TooLarge(f"your unfinished uploads would hold more than {settings.upload_quota_mb} MiB; finish or "
                   "cancel some first, or wait until abandoned ones expire", code="upload_quota_exceeded",
                   detail={"quota_bytes": settings.upload_quota_bytes, "held_bytes": held})


def load_upload(session: Session, caller: Uploader, upload_id: str) -> Upload:
    """The caller's upload (any for an admin): 404 otherwise, 410 once expired."""
    row = session.get(Upload, upload_id)
    if row is None or (row.owner != caller.owner and not caller.is_admin) or row.state == UploadState.TERMINATED:
        raise NotFound(f"no upload with id {upload_id}", code="upload_not_found", detail={"upload_id": upload_id})
    if row.state == UploadState.EXPIRED:
        raise Gone("this upload expired; start it again", code="upload_expired", detail={"upload_id": upload_id})
    return row


def upload_status(session_factory: sessionmaker[Session], caller: Uploader, upload_id: str) -> UploadStatus:
    with session_factory() as session:
        return UploadStatus.of(load_upload(session, caller, upload_id))


def terminate_upload(settings: Settings, session_factory: sessionmaker[Session], caller: Uploader,
                     upload_id: str) -> None:
    """Cancel an unfinished upload and free its bytes (again: no-op). A finished one is a
    document now: 409."""
    with session_scope(session_factory) as session:
        row = session.get(Upload, upload_id)
        if row is not None and row.state == UploadState.TERMINATED and (row.owner == caller.owner
                                                                         or caller.is_admin):
            return
        row = load_upload(session, caller, upload_id)
        if row.state != UploadState.RECEIVING:
            raise Conflict("this upload is complete; its file is part of batch " + row.batch_id,
                           code="upload_complete", detail={"batch_id": row.batch_id})
        row.state, row.updated_at = UploadState.TERMINATED, utcnow()
    part_path(settings, upload_id).unlink(missing_ok=True)
