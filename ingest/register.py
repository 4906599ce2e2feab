"""Registering a batch: each spooled file is checked, stored once by checksum, recorded.

Every file succeeds or fails on its own, in its own transaction. A rejected file leaves
only its batch item (with the reason) behind: no document, no archive file. The same
bytes uploaded again link to the existing document instead of being processed twice; when
that document failed, the file's outcome says so (``duplicate_of_failed``, with the reason)
instead of a silent link, and the caller is offered the retry.
Jobs are enqueued after the commits; if Redis is down the documents stay ``queued`` in
the database and the reconciler enqueues them later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from sqlalchemy import Table, bindparam, delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ingest.inspect import inspect_file
from ingest.spool import SpooledUpload, spool_stream
from sohoa.core.config import Settings
from sohoa.core.db import session_scope
from sohoa.core.errors import BadRequest, NotFound, SohoaError, TooLarge
from sohoa.core.faults import TransientFault, transient_code
from sohoa.core.inputs import refuse_nul
from sohoa.core.models import Batch, BatchItem, Document, StoredFile, new_id
from sohoa.core.vocab import DocumentStatus
from sohoa.storage.archive import ArchiveStore
from sohoa.storage.space import require_space

log = logging.getLogger(__name__)

Enqueue = Callable[[str], None]  # called once per document this call created (its id is new)
MAX_CODE_CHARS = 64

# Each file's reads and writes as Core statements built once (parameters bound per call):
# the ORM's loads, attribute events and flushes were most of a file's registration CPU.
# The same rows in the same transactions; column defaults (created_at, counters) still apply.
_BATCHES, _ITEMS, _DOCUMENTS, _FILES = (cast(Table, model.__table__) for model in (Batch, BatchItem, Document,
                                                                                  StoredFile))
_BATCH_CODES = select(_BATCHES.c.agency_code, _BATCHES.c.procedure_code, _BATCHES.c.note,
                      _BATCHES.c.created_by_key_id, _BATCHES.c.created_by_user_id).where(
    _BATCHES.c.id == bindparam("batch"))
_HELD = select(func.count(), func.max(_ITEMS.c.position)).where(_ITEMS.c.batch_id == bindparam("batch"))
_SAME_BYTES = select(_DOCUMENTS.c.id, _DOCUMENTS.c.status, _DOCUMENTS.c.error_code, _DOCUMENTS.c.error_message,
                     _DOCUMENTS.c.sha256, _DOCUMENTS.c.size_bytes, _DOCUMENTS.c.mime_type,
                     _DOCUMENTS.c.pages_total).where(_DOCUMENTS.c.sha256 == bindparam("sha256"))
_ADD_DOCUMENT, _ADD_FILE, _ADD_ITEM = insert(_DOCUMENTS), insert(_FILES), insert(_ITEMS)


@dataclass(frozen=True)
class BatchMeta:
    agency_code: str | None = None
    procedure_code: str | None = None
    note: str | None = None
    created_by_key_id: int | None = None
    created_by_user_id: int | None = None


@dataclass(frozen=True)
class FileOutcome:
    position: int
    filename: str
    document_id: str | None
    status: str  # the document's state, or "failed" for a rejected file
    duplicate: bool = False
    error: SohoaError | None = None
    sha256: str | None = None
    size_bytes: int | None = None
    mime_type: str | None = None
    pages_total: int | None = None
    duplicate_of_failed: bool = False  # the bytes of a failed document: offered the retry, not processed


@dataclass(frozen=True)
class BatchOutcome:
    batch_id: str
    files: list[FileOutcome]
    enqueued: bool  # False when the queue was unreachable (the reconciler catches up)


def upload_tmp_dir(settings: Settings) -> Path:
    return settings.var_dir / "tmp" / "uploads"


def check_meta(meta: BatchMeta) -> BatchMeta:
    """Blank codes become None; over-long ones are a 400 before anything is stored."""
    def clean(name: str, value: str | None) -> str | None:
        refuse_nul(value, name)
        value = (value or "").strip() or None
        if value is not None and len(value) > MAX_CODE_CHARS:
            raise BadRequest(f"{name} is longer than {MAX_CODE_CHARS} characters", code="invalid_field",
                             detail={"field": name})
        return value

    refuse_nul(meta.note, "note")
    note = (meta.note or "").strip() or None
    return BatchMeta(clean("agency_code", meta.agency_code), clean("procedure_code", meta.procedure_code),
                     note, meta.created_by_key_id, meta.created_by_user_id)


def check_file_count(settings: Settings, count: int) -> None:
    if count == 0:
        raise BadRequest("a batch needs at least one file in the `files` field", code="no_files")
    if count > settings.max_files_per_batch:
        raise TooLarge(f"a batch may hold at most {settings.max_files_per_batch} files", code="too_many_files",
                       detail={"max_files": settings.max_files_per_batch})


def ingest_batch(
    settings: Settings,
    session_factory: sessionmaker[Session],
    archive: ArchiveStore,
    uploads: Sequence[SpooledUpload],
    meta: BatchMeta,
    *,
    enqueue: Enqueue | None = None,
    batch_id: str | None = None,
) -> BatchOutcome:
    """Register a new batch from spooled files, or add them to ``batch_id`` (its codes
    apply, positions continue after its last file); consumes (deletes) their temp files."""
    new = batch_id is None
    try:
        if batch_id is None:
            check_file_count(settings, len(uploads))
            meta = check_meta(meta)
            require_space(settings, [archive.root])
            batch_id, first = create_batch(session_factory, meta), 0
        else:
            meta, first = _continue_batch(settings, session_factory, batch_id, len(uploads))
            require_space(settings, [archive.root])
        queue = _Enqueuer(enqueue)
        outcomes: dict[int, FileOutcome] = {}
        try:
            for pos in largest_first(uploads):  # each is queued as soon as it is registered
                outcomes[pos] = _ingest_one(settings, session_factory, archive, batch_id, first + pos,
                                            uploads[pos], meta)
                document_id = outcomes[pos].document_id
                if document_id is not None and not outcomes[pos].duplicate:
                    queue.put(document_id)
        except Exception as exc:
            _stopped_by_fault(session_factory, batch_id, new, outcomes, exc)
            raise
    finally:
        for upload in uploads:
            upload.discard()
    return BatchOutcome(batch_id, [outcomes[pos] for pos in sorted(outcomes)], queue.ok)


def _stopped_by_fault(session_factory: sessionmaker[Session], batch_id: str, new: bool,
                      outcomes: dict[int, FileOutcome], exc: Exception) -> None:
    """A disk that filled up (or a database that went away) in the middle of a batch: each
    file registered so far is whole (stored atomically, one transaction each) and stays; a
    new batch that got none is removed, so no empty batch is left that the client never
    learns of. Raises the fault as a ``TransientFault`` (503) naming what was kept."""
    code = transient_code(exc)
    if code is None:
        return
    kept = sum(1 for o in outcomes.values() if o.document_id is not None)
    if new and kept == 0:
        try:
            with session_scope(session_factory) as session:
                session.execute(delete(BatchItem).where(BatchItem.batch_id == batch_id))
                session.execute(delete(Batch).where(Batch.id == batch_id))
        except Exception:  # noqa: BLE001 - the database itself may be what is gone; the fault is raised below
            log.warning("could not remove the empty batch %s after %s", batch_id, code)
    log.warning("batch %s stopped by %s after %d file(s) registered: %s", batch_id, code, kept, exc)
    detail = {"batch_id": batch_id if (not new or kept) else None, "registered": kept}
    raise TransientFault(code, f"the upload stopped ({code}); the files registered so far are kept "
                         "whole, send the batch again later (they are linked, not stored twice)", detail=detail,
                         headers={"Retry-After": "60"}) from exc


def open_batch(session_factory: sessionmaker[Session], meta: BatchMeta, client_key: str) -> tuple[str, bool]:
    """The batch ``client_key`` names, created empty the first time: (its id, created now).
    The browser opens a batch before its files go up one by one over tus; the same key
    (a second click, a resent request, a page reload) returns the same batch."""
    meta = check_meta(meta)
    try:
        with session_scope(session_factory) as session:
            found = session.scalar(select(Batch.id).where(Batch.client_key == client_key))
            if found is not None:
                return found, False
            batch = Batch(agency_code=meta.agency_code, procedure_code=meta.procedure_code, note=meta.note,
                          created_by_key_id=meta.created_by_key_id, created_by_user_id=meta.created_by_user_id,
                          client_key=client_key)
            session.add(batch)
            session.flush()
            return batch.id, True
    except IntegrityError:  # opened meanwhile by a concurrent request with the same key
        with session_factory() as session:
            found = session.scalar(select(Batch.id).where(Batch.client_key == client_key))
        if found is None:
            raise
        return found, False


def create_batch(session_factory: sessionmaker[Session], meta: BatchMeta, batch_id: str | None = None) -> str:
    """A new empty batch; with ``batch_id``, the batch of that id, created unless it exists
    (a resumable upload fixes its new batch's id up front, so a retried completion finds it)."""
    try:
        with session_scope(session_factory) as session:
            if batch_id is not None and session.get(Batch, batch_id) is not None:
                return batch_id
            batch = Batch(agency_code=meta.agency_code, procedure_code=meta.procedure_code,
                          note=meta.note, created_by_key_id=meta.created_by_key_id,
                          created_by_user_id=meta.created_by_user_id)
            if batch_id is not None:
                batch.id = batch_id
            session.add(batch)
            session.flush()
            return batch.id
    except IntegrityError:
        if batch_id is None:
            raise
        return batch_id  # created meanwhile by a concurrent completion


def _continue_batch(settings: Settings, session_factory: sessionmaker[Session], batch_id: str,
                    count: int) -> tuple[BatchMeta, int]:
    """The batch's own codes and the next free position; the batch must exist and stay
    within ``max_files_per_batch`` with the new files."""
    with session_factory() as session:
        codes = session.execute(_BATCH_CODES, {"batch": batch_id}).first()
        if codes is None:
            raise NotFound(f"no batch with id {batch_id}", detail={"batch_id": batch_id})
        held, last = session.execute(_HELD, {"batch": batch_id}).one()
    meta = BatchMeta(*codes)
    if count == 0:
        raise BadRequest("send at least one file in the `files` field", code="no_files")
    if held + count > settings.max_files_per_batch:
        raise TooLarge(f"a batch may hold at most {settings.max_files_per_batch} files; this one holds "
                       f"{held} and {count} more were sent", code="too_many_files",
                       detail={"max_files": settings.max_files_per_batch, "held": held})
    return meta, (last + 1 if last is not None else 0)


def check_room(settings: Settings, session_factory: sessionmaker[Session], batch_id: str, count: int) -> None:
    """The batch exists and can take ``count`` more files (a resumable upload asks when it
    starts, so a file is not sent over a slow line only to be refused at the end)."""
    with session_factory() as session:
        if session.execute(_BATCH_CODES, {"batch": batch_id}).first() is None:
            raise NotFound(f"no batch with id {batch_id}", detail={"batch_id": batch_id})
        held = session.execute(_HELD, {"batch": batch_id}).one()[0]
    if held + count > settings.max_files_per_batch:
        raise TooLarge(f"a batch may hold at most {settings.max_files_per_batch} files; this one holds {held}",
                       code="too_many_files", detail={"max_files": settings.max_files_per_batch, "held": held})


def ingest_paths(
    settings: Settings,
    session_factory: sessionmaker[Session],
    archive: ArchiveStore,
    paths: Sequence[Path],
    meta: BatchMeta,
    *,
    enqueue: Enqueue | None = None,
) -> BatchOutcome:
    """Ingest local files as one batch (their base names become the display names)."""
    check_file_count(settings, len(paths))
    uploads = []
    for path in paths:
        with Path(path).open("rb") as fh:
            uploads.append(spool_stream(fh, tmp_dir=upload_tmp_dir(settings),
                                        max_bytes=settings.max_file_bytes, filename=Path(path).name))
    return ingest_batch(settings, session_factory, archive, uploads, meta, enqueue=enqueue)


def _ingest_one(
    settings: Settings,
    session_factory: sessionmaker[Session],
    archive: ArchiveStore,
    batch_id: str,
    position: int,
    upload: SpooledUpload,
    meta: BatchMeta,
) -> FileOutcome:
    if upload.error is not None:
        return _reject(session_factory, batch_id, position, upload, upload.error)
    assert upload.path is not None and upload.sha256 is not None
    existing = _link_existing(session_factory, batch_id, position, upload)
    if existing is not None:
        return existing
    try:
        info = inspect_file(upload.path, max_pages=settings.max_pages_per_document,
                            max_pixels=settings.max_pixels_per_page)
    except SohoaError as exc:
        return _reject(session_factory, batch_id, position, upload, exc)
    # The spooled file becomes the original (moved, not copied, on the same filesystem).
    stored = archive.put_original(upload.path, upload.sha256, move=True)
    upload.path = None
    document_id = new_id()
    try:
        with session_scope(session_factory) as session:
            session.execute(_ADD_DOCUMENT, {
                "id": document_id, "sha256": upload.sha256, "size_bytes": upload.size_bytes,
                "mime_type": info.mime_type, "filename": upload.filename, "original_path": stored.path,
                "first_batch_id": batch_id, "agency_code": meta.agency_code, "procedure_code": meta.procedure_code,
                "status": DocumentStatus.QUEUED, "pages_total": info.pages, "pages_done": 0})
            session.execute(_ADD_FILE, {"document_id": document_id, "kind": "original", "path": stored.path,
                                        "sha256": stored.sha256, "size_bytes": stored.size_bytes})
            _add_item(session, batch_id, position, upload, document_id=document_id, duplicate=False)
    except IntegrityError:
        # Another upload registered the same bytes between our lookup and our insert.
        linked = _link_existing(session_factory, batch_id, position, upload)
        if linked is None:
            raise
        return linked
    return FileOutcome(position, upload.filename, document_id, DocumentStatus.QUEUED, False, None,
                       upload.sha256, upload.size_bytes, info.mime_type, info.pages)


def _link_existing(
    session_factory: sessionmaker[Session], batch_id: str, position: int, upload: SpooledUpload
) -> FileOutcome | None:
    with session_scope(session_factory) as session:
        document = session.execute(_SAME_BYTES, {"sha256": upload.sha256}).first()
        if document is None:
            return None
        _add_item(session, batch_id, position, upload, document_id=document.id, duplicate=True)
        failed = document.status == DocumentStatus.FAILED
        error = None if not failed else SohoaError(
            f"these bytes are document {document.id}, which failed ({document.error_code}: "
            f"{document.error_message}); it is not processed again by itself: retry it", code="duplicate_of_failed",
            detail={"document_id": document.id, "failed_code": document.error_code})
        return FileOutcome(position, upload.filename, document.id, document.status, True, error,
                           document.sha256, document.size_bytes, document.mime_type, document.pages_total,
                           duplicate_of_failed=failed)


def _reject(
    session_factory: sessionmaker[Session], batch_id: str, position: int, upload: SpooledUpload,
    error: SohoaError,
) -> FileOutcome:
    with session_scope(session_factory) as session:
        _add_item(session, batch_id, position, upload, document_id=None, error=error)
    log.info("rejected %r in batch %s: %s", upload.filename, batch_id, error.code)
    return FileOutcome(position, upload.filename, None, DocumentStatus.FAILED, False, error,
                       upload.sha256, upload.size_bytes)


def _add_item(session: Session, batch_id: str, position: int, upload: SpooledUpload, *, document_id: str | None,
              duplicate: bool = False, error: SohoaError | None = None) -> None:
    """The file's batch item (its ``upload_id`` unique: one item per resumable upload)."""
    session.execute(_ADD_ITEM, {"batch_id": batch_id, "position": position, "filename": upload.filename,
                                "document_id": document_id, "duplicate": duplicate,
                                "error_code": error.code if error else None,
                                "error_message": error.message if error else None, "upload_id": upload.upload_id})


def largest_first(uploads: Sequence[SpooledUpload]) -> list[int]:
    """Positions of the uploads, largest file first. Workers take jobs in queue order, so
    the big (long) documents start first and the batch ends on small ones: with one long
    document queued last, the other workers would sit idle while it runs (a long tail)."""
    return sorted(range(len(uploads)), key=lambda pos: uploads[pos].size_bytes or 0, reverse=True)


class _Enqueuer:
    """Queues new documents one by one while the rest of the batch is still being
    registered (workers start on the first at once); after the first failure it stops
    trying and ``ok`` turns False: the database says queued, the reconciler catches up."""

    def __init__(self, enqueue: Enqueue | None) -> None:
        self.enqueue, self.ok = enqueue, enqueue is not None

    def put(self, document_id: str) -> None:
        if not self.ok or self.enqueue is None:
            return
        try:
            self.enqueue(document_id)
        except Exception as exc:  # noqa: BLE001 - Redis down, timeout...: the database still says queued
            log.warning("could not enqueue document %s (%s); the reconciler will retry", document_id, exc)
            self.ok = False
