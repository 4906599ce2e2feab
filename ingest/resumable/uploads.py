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
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, delete, func, insert, select, update
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
UploadRow = Row[*tuple[Any, ...]]  # an upload's columns, by name (``UPLOAD_ROW``)
# Every request of an upload reads its row (HEAD, each chunk twice, the result): a Core
# statement built once, a row of its columns, not the ORM's load of an object.
_UPLOADS = cast(Table, Upload.__table__)
UPLOAD_ROW = select(*_UPLOADS.columns).where(_UPLOADS.c.id == bindparam("upload_id"))


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
    def of(cls, row: Upload | UploadRow) -> UploadStatus:
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
    now, upload_id, batch_id = utcnow(), new_id(), meta.batch_id or new_id()
    expires_at = now + timedelta(hours=settings.upload_expiry_hours)
    values = {"id": upload_id, "owner": caller.owner, "created_by_key_id": caller.key_id,
              "created_by_user_id": caller.user_id, "state": UploadState.RECEIVING, "length": length, "offset": 0,
              "filename": meta.filename, "upload_metadata": meta.raw, "batch_id": batch_id,
              "creates_batch": meta.batch_id is None, "agency_code": meta.batch.agency_code,
              "procedure_code": meta.batch.procedure_code, "note": meta.batch.note, "expected_sha256": meta.sha256,
              "created_at": now, "updated_at": now, "expires_at": expires_at}
    path = part_path(settings, upload_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    try:
        with session_scope(session_factory) as session:
            session.execute(_ADD_UPLOAD, values)
        _check_quota(settings, session_factory, caller, upload_id)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return UploadStatus(upload_id, UploadState.RECEIVING, 0, length, meta.filename, batch_id, meta.batch_id is None,
                        meta.raw, expires_at)


def _unfinished_twin(session_factory: sessionmaker[Session], caller: Uploader, length: int,
                     meta: UploadMeta) -> UploadStatus | None:
    """The caller's unfinished upload of the same file (by its declared ``sha256``) to the
    same place: creating it again returns it, so a creation whose answer was lost, or a
    client that forgot the URL, resumes it instead of leaving a twin to hold the quota."""
    if meta.sha256 is None:
        return None
    same = {"owner": caller.owner, "sha256": meta.sha256, "length": length, "filename": meta.filename}
    with session_factory() as session:
        if meta.batch_id is not None:
            row = session.execute(_TWIN_IN_BATCH, {**same, "batch": meta.batch_id}).first()
        else:
            row = session.execute(_TWIN_NEW_BATCH, {**same, "agency": meta.batch.agency_code,
                                                    "procedure": meta.batch.procedure_code}).first()
        return UploadStatus.of(row) if row is not None else None


# The creation's statements, Core and built once (a creation per file sent). A new batch's
# codes may be NULL: compared as "not distinct" (NULL matches NULL, as ``== None`` did).
_ADD_UPLOAD = insert(_UPLOADS)
_TWIN = select(*_UPLOADS.columns).where(
    _UPLOADS.c.owner == bindparam("owner"), _UPLOADS.c.state == UploadState.RECEIVING,
    _UPLOADS.c.expected_sha256 == bindparam("sha256"), _UPLOADS.c.length == bindparam("length"),
    _UPLOADS.c.filename == bindparam("filename")).order_by(_UPLOADS.c.created_at.desc()).limit(1)
_TWIN_IN_BATCH = _TWIN.where(_UPLOADS.c.batch_id == bindparam("batch"), _UPLOADS.c.creates_batch.is_(False))
_TWIN_NEW_BATCH = _TWIN.where(_UPLOADS.c.creates_batch.is_(True),
                              _UPLOADS.c.agency_code.is_not_distinct_from(bindparam("agency")),
                              _UPLOADS.c.procedure_code.is_not_distinct_from(bindparam("procedure")))
_HELD = select(func.coalesce(func.sum(_UPLOADS.c.length), 0)).where(
    _UPLOADS.c.owner == bindparam("owner"), _UPLOADS.c.state.in_(UNFINISHED_UPLOAD_STATES))


def _check_quota(settings: Settings, session_factory: sessionmaker[Session], caller: Uploader,
                 upload_id: str) -> None:
    """Counted after the new row is committed, so two creations at once cannot both slip
    under the limit: each sees the other, and over it the new one is removed again."""
    with session_scope(session_factory) as session:
        held = int(session.execute(_HELD, {"owner": caller.owner}).scalar_one() or 0)  # a Decimal on PostgreSQL
        if held <= settings.upload_quota_bytes:
            return
        session.execute(delete(Upload).where(Upload.id == upload_id))
    raise TooLarge(f"your unfinished uploads would hold more than {settings.upload_quota_mb} MiB; finish or "
                   "cancel some first, or wait until abandoned ones expire", code="upload_quota_exceeded",
                   detail={"quota_bytes": settings.upload_quota_bytes, "held_bytes": held})


def load_upload(session: Session, caller: Uploader, upload_id: str) -> UploadRow:
    """The caller's upload (any for an admin): 404 otherwise, 410 once expired."""
    row = session.execute(UPLOAD_ROW, {"upload_id": upload_id}).first()
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
        row = session.execute(UPLOAD_ROW, {"upload_id": upload_id}).first()
        if row is not None and row.state == UploadState.TERMINATED and (row.owner == caller.owner
                                                                         or caller.is_admin):
            return
        row = load_upload(session, caller, upload_id)
        if row.state != UploadState.RECEIVING:
            raise Conflict("this upload is complete; its file is part of batch " + row.batch_id,
                           code="upload_complete", detail={"batch_id": row.batch_id})
        session.execute(update(_UPLOADS).where(_UPLOADS.c.id == upload_id).values(
            state=UploadState.TERMINATED, updated_at=utcnow()))
    part_path(settings, upload_id).unlink(missing_ok=True)
