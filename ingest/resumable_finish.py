"""A complete resumable upload becomes a file of its batch, exactly once.

Completion takes the path of every upload (``ingest_batch``: type, limits, pages,
duplicate by SHA-256, the archive, the batch item, the job), so a resumable file is
judged like a multipart one: a bad file becomes a rejected item of its batch.

Exactly once, whatever is retried or crashes: one caller at a time claims the upload
(compare-and-set on ``claimed_at``; a claim older than ``CLAIM_SECONDS`` counts as
abandoned), the batch a new-batch upload creates has the id fixed at creation, and the
batch item names the upload under a unique constraint, so a second registration cannot
add a second item: it finds the first. The file's bytes stay in the uploads folder until the
upload is marked done; the archive gets a hard link of them (no copy on one filesystem).
Until then the last chunk's request, a client asking for the result, or the reconciler
(``finish_pending_uploads``) may all try; the first wins, the others read its outcome.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import cast

from sqlalchemy import Table, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ingest.register import BatchMeta, FileOutcome, create_batch, ingest_batch
from ingest.resumable.chunks import RUNNING_SHA256
from ingest.resumable.uploads import HAND_OVER, UploadRow, UploadStatus, part_path
from ingest.spool import SpooledUpload
from sohoa.core.clock import utcnow
from sohoa.core.config import Settings
from sohoa.core.db import changed_rows, session_scope
from sohoa.core.errors import NotFound, SohoaError, TooLarge
from sohoa.core.models import AuditEvent, BatchItem, Document, Upload, new_id
from sohoa.core.vocab import DocumentStatus, UploadState
from sohoa.domain import audit
from sohoa.domain.principal import creator
from sohoa.storage.archive import ArchiveStore, sha256_file

log = logging.getLogger(__name__)

CLAIM_SECONDS = 600  # a registration still claimed after this long died with its process
PENDING_GRACE_SECONDS = 60  # the reconciler leaves a just-completed upload to the request that completed it
Enqueue = Callable[[str], None]


@dataclass(frozen=True)
class UploadResult:
    """An upload's state and, once done, what its file became in its batch."""

    status: UploadStatus
    file: FileOutcome | None


def finish_upload(settings: Settings, session_factory: sessionmaker[Session], archive: ArchiveStore,
                  upload_id: str, *, enqueue: Enqueue | None = None) -> bool:
    """Register a complete upload unless another caller is on it; True when this call did."""
    claimed = _claim(session_factory, upload_id)
    if claimed is None:
        return False
    row, registered = claimed
    try:
        if not registered:
            _register(settings, session_factory, archive, row, enqueue)
        _mark(session_factory, row, UploadState.DONE)
    except _CannotJoin as exc:
        _mark(session_factory, row, UploadState.FAILED, exc.error)
    except BaseException:
        _release(session_factory, upload_id)  # the next caller retries
        raise
    part_path(settings, upload_id).unlink(missing_ok=True)
    return True


class _CannotJoin(Exception):
    """The file cannot enter its batch at all (no batch item): the upload fails with ``error``."""

    def __init__(self, error: SohoaError) -> None:
        super().__init__(error.message)
        self.error = error


def _claim(session_factory: sessionmaker[Session], upload_id: str) -> tuple[UploadRow, bool] | None:
    """Claim the upload: its row's values and whether its batch item exists already, or
    None when another caller holds it. Read in the claim's own transaction (one commit and
    round of connection checkout instead of three); the claim commits as before."""
    now = utcnow()
    with session_scope(session_factory) as session:
        if not changed_rows(session, _CLAIM, {"upload_id": upload_id, "now": now,
                                              "abandoned": now - timedelta(seconds=CLAIM_SECONDS)}):
            return None
        row = session.execute(_CLAIMED, {"upload_id": upload_id}).one()
        registered = session.execute(_HAS_ITEM, {"upload_id": upload_id}).first() is not None
        return row, registered


# The registration's statements, Core and built once (parameters bound per call): the ORM's
# load of the upload, its attribute events and an audit object flushed were a third of the
# registration's CPU. The same rows, in the same transactions.
_UPLOADS, _ITEMS, _DOCUMENTS = (cast(Table, model.__table__) for model in (Upload, BatchItem, Document))
_CLAIM = update(_UPLOADS).where(
    _UPLOADS.c.id == bindparam("upload_id"), _UPLOADS.c.state == UploadState.COMPLETE,
    or_(_UPLOADS.c.claimed_at.is_(None), _UPLOADS.c.claimed_at < bindparam("abandoned"))
).values(claimed_at=bindparam("now"))
_CLAIMED = select(_UPLOADS.c.id, _UPLOADS.c.length, _UPLOADS.c.filename, _UPLOADS.c.expected_sha256,
                  _UPLOADS.c.batch_id, _UPLOADS.c.creates_batch, _UPLOADS.c.agency_code, _UPLOADS.c.procedure_code,
                  _UPLOADS.c.note, _UPLOADS.c.created_by_key_id, _UPLOADS.c.created_by_user_id).where(
    _UPLOADS.c.id == bindparam("upload_id"))
_HAS_ITEM = select(_ITEMS.c.id).where(_ITEMS.c.upload_id == bindparam("upload_id")).limit(1)
_SETTLE = update(_UPLOADS).where(_UPLOADS.c.id == bindparam("upload_id")).values(
    state=bindparam("state"), claimed_at=None, updated_at=bindparam("now"), error_code=bindparam("error_code"),
    error_message=bindparam("error_message"))
_ADD_EVENT = insert(cast(Table, AuditEvent.__table__))
_OUTCOME = select(_ITEMS.c.position, _ITEMS.c.filename, _ITEMS.c.duplicate, _ITEMS.c.error_code,
                  _ITEMS.c.error_message, _ITEMS.c.document_id, _DOCUMENTS.c.status, _DOCUMENTS.c.sha256,
                  _DOCUMENTS.c.size_bytes, _DOCUMENTS.c.mime_type, _DOCUMENTS.c.pages_total).select_from(
    _ITEMS.outerjoin(_DOCUMENTS, _DOCUMENTS.c.id == _ITEMS.c.document_id)).where(
    _ITEMS.c.upload_id == bindparam("upload_id"))


def _release(session_factory: sessionmaker[Session], upload_id: str) -> None:
    with session_scope(session_factory) as session:
        session.execute(update(Upload).where(Upload.id == upload_id).values(claimed_at=None))


def _item_of(session_factory: sessionmaker[Session], upload_id: str) -> BatchItem | None:
    with session_factory() as session:
        return session.scalar(select(BatchItem).where(BatchItem.upload_id == upload_id))


def _register(settings: Settings, session_factory: sessionmaker[Session], archive: ArchiveStore, row: UploadRow,
              enqueue: Enqueue | None) -> None:
    source = part_path(settings, row.id)
    if not source.is_file():
        raise _CannotJoin(SohoaError("the upload's bytes were lost before it was registered; send the file "
                                     "again", code="upload_lost"))
    sha256 = RUNNING_SHA256.take(row.id, row.length) or sha256_file(source)
    if row.expected_sha256 is not None and sha256 != row.expected_sha256:
        raise _CannotJoin(SohoaError("the file that arrived does not match the sha256 sent with it; send it "
                                     "again", code="checksum_mismatch", detail={"sha256": sha256}))
    spooled = SpooledUpload(row.filename, _hand_over(source), sha256, row.length, upload_id=row.id)
    meta = BatchMeta(row.agency_code, row.procedure_code, row.note, row.created_by_key_id, row.created_by_user_id)
    try:
        if row.creates_batch:
            create_batch(session_factory, meta, row.batch_id)
        ingest_batch(settings, session_factory, archive, [spooled], meta, enqueue=enqueue, batch_id=row.batch_id)
    except (NotFound, TooLarge) as exc:  # the batch is gone, or full by now
        spooled.discard()
        raise _CannotJoin(exc) from exc
    except IntegrityError:
        spooled.discard()
        if _item_of(session_factory, row.id) is None:
            raise
        log.info("upload %s was registered by a concurrent caller", row.id)


def _hand_over(source: Path) -> Path:
    """A second name for the upload's bytes, for ingest to move into the archive, while the
    upload keeps its own until it is marked done (a copy where hard links fail)."""
    target = source.with_name(f"{source.stem}{HAND_OVER}{new_id()[:8]}")
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
    return target


def _mark(session_factory: sessionmaker[Session], row: UploadRow, state: UploadState,
          error: SohoaError | None = None) -> None:
    """The final state, with one audit event naming the caller that uploaded."""
    with session_scope(session_factory) as session:
        session.execute(_SETTLE, {"upload_id": row.id, "state": state, "now": utcnow(),
                                  "error_code": error.code if error else None,
                                  "error_message": error.message if error else None})
        who = creator(session, user_id=row.created_by_user_id, key_id=row.created_by_key_id)
        action = "batch.create" if row.creates_batch else "batch.add_files"
        session.execute(_ADD_EVENT, audit.event_values(who, action, target_type="batch", target_id=row.batch_id,
                                                       result_count=1,
                                                       detail={"upload_id": row.id, "state": str(state)}))


def finish_pending_uploads(settings: Settings, session_factory: sessionmaker[Session], archive: ArchiveStore,
                           *, enqueue: Enqueue | None = None) -> int:
    """Register uploads whose last byte arrived but whose registration did not happen (the
    API stopped in between, or the database was briefly down). The reconciler runs it."""
    settled = utcnow() - timedelta(seconds=PENDING_GRACE_SECONDS)
    with session_factory() as session:
        pending = list(session.scalars(select(Upload.id).where(Upload.state == UploadState.COMPLETE,
                                                               Upload.updated_at < settled)))
    done = 0
    for upload_id in pending:
        try:
            done += finish_upload(settings, session_factory, archive, upload_id, enqueue=enqueue)
        except Exception:
            log.exception("could not register complete upload %s; will retry", upload_id)
    return done


def upload_result(session_factory: sessionmaker[Session], status: UploadStatus) -> UploadResult:
    """What the file became, read from its batch item (and document)."""
    if status.state != UploadState.DONE:
        return UploadResult(status, None)
    with session_factory() as session:
        item = session.execute(_OUTCOME, {"upload_id": status.id}).first()
    if item is None:
        return UploadResult(status, None)
    if item.document_id is None:
        error = SohoaError(item.error_message or "", code=item.error_code or "rejected")
        return UploadResult(status, FileOutcome(item.position, item.filename, None, DocumentStatus.FAILED,
                                                False, error))
    return UploadResult(status, FileOutcome(item.position, item.filename, item.document_id, item.status,
                                            item.duplicate, None, item.sha256, item.size_bytes, item.mime_type,
                                            item.pages_total))
