"""Resumable uploads: the bytes of each chunk, appended at the acknowledged offset.

A chunk is written at the offset its upload's row holds, checked (its length against
``Content-Length`` and ``Upload-Length``, its checksum when one was sent), fsynced, and
only then is the new offset written (compare-and-set on the old one) and acknowledged.
So the offset never runs ahead of the bytes on disk: after a crash, a dropped line or a
restart, the next chunk starts where the row says, and whatever an interrupted write left
past it is cut off first. A chunk that fails its checks is cut off the same way: nothing
of it is appended. A chunk interrupted mid-way without a checksum keeps what arrived (the
tus core rule; browsers' clients send no checksums); with a checksum it cannot be
verified, so it is dropped.

Each writer holds an exclusive ``flock`` on the file and re-reads the row under it, so two
requests never write one upload at once and nothing writes an upload once it is complete
(its file then becomes the archived original: ``ingest.resumable_finish``).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session, sessionmaker

from ingest.resumable.uploads import UPLOAD_ROW, Uploader, UploadRow, UploadStatus, load_upload, part_path
from ingest.tus_protocol import Checksum
from sohoa.core.clock import utcnow
from sohoa.core.config import Settings
from sohoa.core.db import changed_rows, session_scope
from sohoa.core.errors import BadRequest, ChecksumMismatch, Conflict, Gone, Locked, TooLarge
from sohoa.core.models import Upload
from sohoa.core.vocab import ChecksumAlgorithm, UploadState


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
_UPLOADS = cast(Table, Upload.__table__)
# The acknowledgement, a Core statement built once (no ORM session sync): compare-and-set on
# the state and the offset the chunk started from.
_ACKNOWLEDGE = update(_UPLOADS).where(
    _UPLOADS.c.id == bindparam("upload_id"), _UPLOADS.c.state == UploadState.RECEIVING,
    _UPLOADS.c.offset == bindparam("start")).values(offset=bindparam("offset"), state=bindparam("state"),
                                                    updated_at=bindparam("now"), expires_at=bindparam("expires"))


class ChunkWriter:
    """The bytes of one PATCH, appended at the upload's acknowledged offset.

    ``write`` as bytes arrive, then ``commit`` (checks, fsync, new offset) or ``abort``;
    ``close`` always. Holds the upload's lock from ``open_chunk`` to ``close``.
    """

    def __init__(self, settings: Settings, session_factory: sessionmaker[Session], row: UploadRow, fd: int,
                 content_length: int | None, checksum: Checksum | None) -> None:
        self.settings, self.sessions, self.fd = settings, session_factory, fd
        self.upload_id, self.length, self.start = row.id, row.length, row.offset
        self.content_length, self.checksum = content_length, checksum
        self.whole = RUNNING_SHA256.resume(row.id, row.offset)
        # A chunk from the file's first byte checked by SHA-256 (a whole file sent in one
        # chunk, as ``sohoa ingest`` does) hashes exactly what the running SHA-256 hashes:
        # one pass over its bytes serves both.
        self.shared = (checksum is not None and checksum.algorithm == ChecksumAlgorithm.SHA256 and row.offset == 0
                       and self.whole is not None)
        self.hasher = checksum.hasher() if checksum and not self.shared else None
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
        chunk_hash = self.whole if self.shared else self.hasher
        if self.checksum is not None and chunk_hash is not None and chunk_hash.digest() != self.checksum.digest:
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
            moved = changed_rows(session, _ACKNOWLEDGE, {
                "upload_id": self.upload_id, "start": self.start, "offset": offset, "state": state, "now": now,
                "expires": now + timedelta(hours=self.settings.upload_expiry_hours)})
            row = session.execute(UPLOAD_ROW, {"upload_id": self.upload_id}).first()
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
        _check_chunk(load_upload(session, caller, upload_id), offset, content_length)  # before touching the file
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
            row = load_upload(session, caller, upload_id)
        _check_chunk(row, offset, content_length)
        os.ftruncate(fd, row.offset)
        os.lseek(fd, row.offset, os.SEEK_SET)
    except BaseException:
        os.close(fd)
        raise
    return ChunkWriter(settings, session_factory, row, fd, content_length, checksum)


def _check_chunk(row: UploadRow, offset: int, content_length: int | None) -> None:
    if row.state != UploadState.RECEIVING or offset != row.offset:
        raise Conflict(f"the upload is at offset {row.offset}, not {offset}", code="offset_mismatch",
                       detail={"offset": row.offset})
    if content_length is not None and offset + content_length > row.length:
        raise TooLarge(f"the chunk runs past the upload's length of {row.length} bytes",
                       code="upload_length_exceeded", detail={"length": row.length})
