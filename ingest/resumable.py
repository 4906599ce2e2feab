"""Resumable uploads (tus 1.0): creation, offsets, chunks, termination, expiry. No HTTP here.

The bytes of an unfinished upload live in ``<archive>/uploads/<id>.part``; its row in ``uploads``
holds the acknowledged offset. A chunk is written at that offset, checked (its length
against ``Content-Length`` and ``Upload-Length``, its checksum when one was sent), fsynced,
and only then is the new offset written (compare-and-set on the old one) and acknowledged.
So the offset never runs ahead of the bytes on disk: after a crash, a dropped line or a
restart, the next chunk starts where the row says, and whatever an interrupted write left
past it is cut off first. A chunk that fails its checks is cut off the same way: nothing
of it is appended. A chunk interrupted mid-way without a checksum keeps what arrived (the
tus core rule; browsers' clients send no checksums); with a checksum it cannot be
verified, so it is dropped.

Each writer holds an exclusive ``flock`` on the file and re-reads the row under it, so two
requests never write one upload at once and nothing writes an upload once it is complete
(its file then becomes the archived original: ``ingest.resumable_finish``).

Space: the declared lengths of a caller's unfinished uploads count against their quota, so
their partial bytes can never exceed it; each file stays within ``max_file_bytes``.
Abandoned uploads are removed by ``expire_uploads`` (the reconciler runs it).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from ingest.register import check_room
from ingest.tus_protocol import Checksum, UploadMeta
from sohoa.core.clock import utcnow
from sohoa.core.config import Settings
from sohoa.core.db import changed_rows, session_scope
from sohoa.core.errors import (
    BadRequest,
    ChecksumMismatch,
    Conflict,
    Gone,
    Locked,
    NotFound,
    TooLarge,
    UnprocessableFile,
)
from sohoa.core.models import Upload, new_id
from sohoa.core.vocab import UNFINISHED_UPLOAD_STATES, UploadState

log = logging.getLogger(__name__)

HAND_OVER = ".handover-"  # a complete file's second name, on its way into the archive
TERMINAL_STATES = (UploadState.DONE, UploadState.FAILED, UploadState.EXPIRED, UploadState.TERMINATED)


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


class _RunningHashes:
    """The SHA-256 of each upload's stored bytes, carried along as its chunks are written in
    this process, so completion need not read the whole file again. A chunk written by
    another process, or a restart, leaves a gap: then completion reads the file."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_upload: dict[str, tuple[int, Any]] = {}

    def resume(self, upload_id: str, offset: int) -> Any:
        with self._lock:
            known = self._by_upload.get(upload_id)
        if known is not None and known[0] == offset:
            return known[1].copy()
        return hashlib.sha256() if offset == 0 else None

    def store(self, upload_id: str, offset: int, digest: Any) -> None:
        with self._lock:
            self._by_upload[upload_id] = (offset, digest)

    def take(self, upload_id: str, length: int) -> str | None:
        """The file's SHA-256 when every byte of it went through this process, else None."""
        with self._lock:
            known = self._by_upload.pop(upload_id, None)
        return known[1].hexdigest() if known is not None and known[0] == length else None


RUNNING_SHA256 = _RunningHashes()


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


def _load(session: Session, caller: Uploader, upload_id: str) -> Upload:
    """The caller's upload (any for an admin): 404 otherwise, 410 once expired."""
    row = session.get(Upload, upload_id)
    if row is None or (row.owner != caller.owner and not caller.is_admin) or row.state == UploadState.TERMINATED:
        raise NotFound(f"no upload with id {upload_id}", code="upload_not_found", detail={"upload_id": upload_id})
    if row.state == UploadState.EXPIRED:
        raise Gone("this upload expired; start it again", code="upload_expired", detail={"upload_id": upload_id})
    return row


def upload_status(session_factory: sessionmaker[Session], caller: Uploader, upload_id: str) -> UploadStatus:
    with session_factory() as session:
        return UploadStatus.of(_load(session, caller, upload_id))


def terminate_upload(settings: Settings, session_factory: sessionmaker[Session], caller: Uploader,
                     upload_id: str) -> None:
    """Cancel an unfinished upload and free its bytes (again: no-op). A finished one is a
    document now: 409."""
    with session_scope(session_factory) as session:
        row = session.get(Upload, upload_id)
        if row is not None and row.state == UploadState.TERMINATED and (row.owner == caller.owner
                                                                         or caller.is_admin):
            return
        row = _load(session, caller, upload_id)
        if row.state != UploadState.RECEIVING:
            raise Conflict("this upload is complete; its file is part of batch " + row.batch_id,
                           code="upload_complete", detail={"batch_id": row.batch_id})
        row.state, row.updated_at = UploadState.TERMINATED, utcnow()
    part_path(settings, upload_id).unlink(missing_ok=True)


class ChunkWriter:
    """The bytes of one PATCH, appended at the upload's acknowledged offset.

    ``write`` as bytes arrive, then ``commit`` (checks, fsync, new offset) or ``abort``;
    ``close`` always. Holds the upload's lock from ``open_chunk`` to ``close``.
    """

    def __init__(self, settings: Settings, session_factory: sessionmaker[Session], row: Upload, fd: int,
                 content_length: int | None, checksum: Checksum | None) -> None:
        self.settings, self.sessions, self.fd = settings, session_factory, fd
        self.upload_id, self.length, self.start = row.id, row.length, row.offset
        self.content_length, self.checksum = content_length, checksum
        self.hasher = checksum.hasher() if checksum else None
        self.whole = RUNNING_SHA256.resume(row.id, row.offset)
        self.received = 0

    def write(self, data: bytes) -> None:
        if self.start + self.received + len(data) > self.length:
            raise TooLarge(f"the chunk runs past the upload's length of {self.length} bytes",
                           code="upload_length_exceeded", detail={"length": self.length})
        if self.hasher is not None:
            self.hasher.update(data)
        if self.whole is not None:
            self.whole.update(data)
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]
        self.received += len(data)

    def commit(self) -> UploadStatus:
        """Check the whole chunk, make it durable, then acknowledge it; a failed check cuts
        the file back to where the chunk started."""
        if self.content_length is not None and self.received != self.content_length:
            self._cut()
            raise BadRequest(f"the chunk has {self.received} bytes, Content-Length said {self.content_length}",
                             code="chunk_length_mismatch")
        if self.checksum is not None and self.hasher is not None and self.hasher.digest() != self.checksum.digest:
            self._cut()
            raise ChecksumMismatch("the chunk does not match its Upload-Checksum; nothing of it was kept, "
                                   "send it again", detail={"offset": self.start})
        return self._record()

    def abort(self) -> int:
        """The request broke off: keep what arrived when no checksum was sent (it cannot be
        checked otherwise), else drop it. Returns the offset now acknowledged."""
        if self.received and self.checksum is None:
            return self._record().offset
        self._cut()
        return self.start

    def discard(self) -> None:
        """The chunk was refused (too long, a bad header mid-way): drop what was written."""
        self._cut()

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # releases the lock
            self.fd = -1

    def _cut(self) -> None:
        os.ftruncate(self.fd, self.start)
        self.received = 0

    def _record(self) -> UploadStatus:
        os.fsync(self.fd)
        offset, now = self.start + self.received, utcnow()
        state = UploadState.COMPLETE if offset == self.length else UploadState.RECEIVING
        with session_scope(self.sessions) as session:
            moved = changed_rows(session, update(Upload).where(
                Upload.id == self.upload_id, Upload.state == UploadState.RECEIVING, Upload.offset == self.start)
                .values(offset=offset, state=state, updated_at=now,
                        expires_at=now + timedelta(hours=self.settings.upload_expiry_hours)))
            row = session.get(Upload, self.upload_id)
        if not moved or row is None:  # expired or cancelled meanwhile
            self._cut()
            raise Conflict("the upload changed while this chunk was written", code="offset_mismatch")
        if self.whole is not None:
            RUNNING_SHA256.store(self.upload_id, offset, self.whole)
        return UploadStatus.of(row)


def open_chunk(settings: Settings, session_factory: sessionmaker[Session], caller: Uploader, upload_id: str,
               offset: int, content_length: int | None, checksum: Checksum | None) -> ChunkWriter:
    """Lock the upload's file, check the request against the row read under the lock, cut
    off any unacknowledged tail and position at the offset."""
    with session_factory() as session:
        _check_chunk(_load(session, caller, upload_id), offset, content_length)  # before touching the file
    try:
        fd = os.open(part_path(settings, upload_id), os.O_WRONLY)
    except FileNotFoundError:
        raise Gone("this upload's bytes are gone; start it again", code="upload_expired") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise Locked("another request is writing this upload; try again in a moment",
                     code="upload_locked") from None
    try:
        with session_factory() as session:
            row = _load(session, caller, upload_id)
        _check_chunk(row, offset, content_length)
        os.ftruncate(fd, row.offset)
        os.lseek(fd, row.offset, os.SEEK_SET)
    except BaseException:
        os.close(fd)
        raise
    return ChunkWriter(settings, session_factory, row, fd, content_length, checksum)


def _check_chunk(row: Upload, offset: int, content_length: int | None) -> None:
    if row.state != UploadState.RECEIVING or offset != row.offset:
        raise Conflict(f"the upload is at offset {row.offset}, not {offset}", code="offset_mismatch",
                       detail={"offset": row.offset})
    if content_length is not None and offset + content_length > row.length:
        raise TooLarge(f"the chunk runs past the upload's length of {row.length} bytes",
                       code="upload_length_exceeded", detail={"length": row.length})


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
