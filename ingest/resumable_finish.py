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

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ingest.register import BatchMeta, FileOutcome, create_batch, ingest_batch
from ingest.resumable.chunks import RUNNING_SHA256
from ingest.resumable.uploads import HAND_OVER, UploadStatus, part_path
from ingest.spool import SpooledUpload
from sohoa.core.clock import utcnow
from sohoa.core.config import Settings
from sohoa.core.db import changed_rows, session_scope
from sohoa.core.errors import NotFound, SohoaError, TooLarge
from sohoa.core.models import BatchItem, Upload, new_id
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


def _claim(session_factory: sessionmaker[Session], upload_id: str) -> tuple[Upload, bool] | None:
    """Claim the upload: its row (detached) and whether its batch item exists already, or
    None when another caller holds it. Read in the claim's own transaction (one commit and
    round of connection checkout instead of three); the claim commits as before."""
    now = utcnow()
    with session_scope(session_factory) as session:
        if not changed_rows(session, _CLAIM.values(claimed_at=now),
                            {"upload_id": upload_id, "abandoned": now - timedelta(seconds=CLAIM_SECONDS)}):
            return None
        row = session.get(Upload, upload_id)
        assert row is not None
        registered = session.scalar(_HAS_ITEM, {"upload_id": upload_id}) is not None
        session.expunge(row)  # keeps its loaded values after the commit
        return row, registered


_CLAIM = update(Upload).where(
    Upload.id == bindparam("upload_id"), Upload.state == UploadState.COMPLETE,
    or_(Upload.claimed_at.is_(None), Upload.claimed_at < bindparam("abandoned"))
).execution_options(synchronize_session=False)  # the claiming session holds no objects to keep in step
_HAS_ITEM = select(BatchItem.id).where(BatchItem.upload_id == bindparam("upload_id")).limit(1)


def _release(session_factory: sessionmaker[Session], upload_id: str) -> None:
    with session_scope(session_factory) as session:
        session.execute(update(Upload).where(Upload.id == upload_id).values(claimed_at=None))


def _item_of(session_factory: sessionmaker[Session], upload_id: str) -> BatchItem | None:
    with session_factory() as session:
        return session.scalar(select(BatchItem).where(BatchItem.upload_id == upload_id))


def _register(settings: Settings, session_factory: sessionmaker[Session], archive: ArchiveStore, row: Upload,
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


def _mark(session_factory: sessionmaker[Session], row: Upload, state: UploadState,
          error: SohoaError | None = None) -> None:
    """The final state, with one audit event naming the caller that uploaded."""
    now = utcnow()
    with session_scope(session_factory) as session:
        session.execute(update(Upload).where(Upload.id == row.id).values(
            state=state, claimed_at=None, updated_at=now, error_code=error.code if error else None,
            error_message=error.message if error else None))
        who = creator(session, user_id=row.created_by_user_id, key_id=row.created_by_key_id)
        action = "batch.create" if row.creates_batch else "batch.add_files"
        audit.record(session, who, action, target_type="batch", target_id=row.batch_id, result_count=1,
                     detail={"upload_id": row.id, "state": str(state)})


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
        item = session.scalar(select(BatchItem).where(BatchItem.upload_id == status.id))
        if item is None:
            return UploadResult(status, None)
        doc = item.document
        if doc is None:
            error = SohoaError(item.error_message or "", code=item.error_code or "rejected")
            return UploadResult(status, FileOutcome(item.position, item.filename, None, DocumentStatus.FAILED,
                                                    False, error))
        return UploadResult(status, FileOutcome(item.position, item.filename, doc.id, doc.status, item.duplicate,
                                                None, doc.sha256, doc.size_bytes, doc.mime_type, doc.pages_total))
