"""The RQ job: one document, page by page, state and progress in the database.

``process_document`` is idempotent and safe to run more than once (RQ delivers at least
once, the reconciler re-enqueues): it claims the document with a compare-and-set on
``attempts`` and a lease, skips pages already done (resume after a crash), keeps the lease
alive from a heartbeat thread (``workers.jobs.lease``) and stops as soon as another worker
has taken the document over.

Failures are sorted by ``sohoa.core.faults``: a transient one (a dependency down, the disk
full, the worker stopping: it stops after the page it is on) puts the document back in the
queue with a retry time; only the content's own problems fail a page or the document.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from sohoa.core.clock import utcnow
from sohoa.core.db import changed_rows, session_scope
from sohoa.core.errors import SohoaError, TooManyPages
from sohoa.core.faults import TransientFault, WorkerShutdown, is_transient, transient_code
from sohoa.core.models import Document, Page, table_of
from sohoa.core.redact import without_paths
from sohoa.core.vocab import DocumentStatus, FailureCode, FaultCode, FileKind, IndexState, PageStatus
from sohoa.domain.records import refresh_from_document
from sohoa.storage.archive import StoredInfo
from sohoa.storage.space import low_space
from workers.jobs import context
from workers.jobs.context import JobContext
from workers.jobs.indexing import index_document
from workers.jobs.lease import LeaseHeartbeat, give_up_reason, release_after_error, requeue_after_fault
from workers.jobs.searchable import publish_searchable_pdf
from workers.jobs.stored_rows import store_file_rows
from workers.ocr.pipeline import PageOutcome, process_page
from workers.ocr.searchable_pdf import page_pdf_name
from workers.ocr.sources import open_source

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another worker claimed the document (our lease expired): stop without writing."""


# A page's result, written with statements built once (Core, by the page's key): the ORM's load
# of the page, attribute events and flush, and a statement compiled per call were ~5 ms CPU
# a page. The same transaction as before: the page, its stored files, progress and lease.
PAGE_RESULT = ("status", "source", "text", "confidence", "word_count", "needs_review", "width", "height", "dpi",
               "error_code", "error_message", "duration_ms", "rotation", "skew", "separator", "top_text")
_PAGES, _DOCUMENTS = table_of(Page), table_of(Document)
_SET_PAGE = update(_PAGES).where(_PAGES.c.document_id == bindparam("page_document"),
                                 _PAGES.c.number == bindparam("page_number"))
_PAGES_READ = select(func.count()).select_from(_PAGES).where(
    _PAGES.c.document_id == bindparam("document"), _PAGES.c.status.in_((PageStatus.DONE, PageStatus.FAILED)))
# the document's columns in the values, if this attempt still holds it (the compare-and-set)
_SET_IF_ATTEMPT = update(_DOCUMENTS).where(_DOCUMENTS.c.id == bindparam("document"),
                                           _DOCUMENTS.c.attempts == bindparam("attempt"))
_PAGE_OUTCOMES = select(_PAGES.c.status, _PAGES.c.error_code).where(_PAGES.c.document_id == bindparam("document"))
# The claim's and the page loop's reads, rows by statements built once (for a one-page
# document they are per page): no ORM object of the document is loaded.
_CLAIM_FACTS = select(_DOCUMENTS.c.status, _DOCUMENTS.c.index_state, _DOCUMENTS.c.lease_expires_at,
                      _DOCUMENTS.c.attempts, _DOCUMENTS.c.stalled_claims, _DOCUMENTS.c.last_fault).where(
    _DOCUMENTS.c.id == bindparam("document"))
_SOURCE = select(_DOCUMENTS.c.original_path, _DOCUMENTS.c.mime_type).where(_DOCUMENTS.c.id == bindparam("document"))
_PAGE_NUMBERS = select(_PAGES.c.number).where(_PAGES.c.document_id == bindparam("document"))
_DONE_NUMBERS = _PAGE_NUMBERS.where(_PAGES.c.status == PageStatus.DONE)
_SET_DOCUMENT = update(_DOCUMENTS).where(_DOCUMENTS.c.id == bindparam("document"))
_ADD_PAGES = insert(_PAGES)


def process_document(document_id: str) -> None:
    """RQ entry point: OCR/extract every page of one document, then index it."""
    ctx = context.current()
    attempt = claim_document(ctx, document_id)
    if attempt is None:
        return
    with LeaseHeartbeat(ctx, document_id, attempt) as heartbeat:
        try:
            if read_pages(ctx, document_id, attempt, heartbeat):
                finish_document(ctx, document_id, attempt)
        except LeaseLost:
            log.warning("document %s: lease lost to another worker, stopping", document_id)
        except BaseException as exc:
            code = stop_code(exc)
            if code is None:
                release_after_error(ctx, document_id, attempt, exc)  # RQ's Retry runs it again
                raise
            requeue_after_fault(ctx, document_id, attempt, code, exc)
            if not isinstance(exc, Exception):
                raise  # SystemExit of a cold shutdown: the worker goes on stopping


def stop_code(exc: BaseException) -> FaultCode | None:
    """Why this job stopped without it being the document's fault, if so."""
    if isinstance(exc, (SystemExit, KeyboardInterrupt)):
        return FaultCode.WORKER_SHUTDOWN
    return transient_code(exc)


def claim_document(ctx: JobContext, document_id: str) -> int | None:
    """Take the document for this attempt; None when there is nothing to do here."""
    now = utcnow()
    with session_scope(ctx.sessions) as session:
        doc = session.execute(_CLAIM_FACTS, {"document": document_id}).first()
        if doc is None:
            log.warning("document %s does not exist", document_id)
            return None
        if doc.status == DocumentStatus.FAILED or (
                doc.status == DocumentStatus.INDEXED and doc.index_state == IndexState.INDEXED):
            return None  # final: only `sohoa retry` puts a failed document back in the queue
        lease = doc.lease_expires_at
        if doc.status == DocumentStatus.PROCESSING and lease is not None and lease > now:
            return None  # a live worker holds it
        seen, stalled, last_fault = doc.attempts, doc.stalled_claims, doc.last_fault
    if stalled >= ctx.settings.job_retries + 1:
        code, message = give_up_reason(stalled, last_fault)
        with session_scope(ctx.sessions) as session:
            fail_document(session, document_id, code, message)
        return None
    with session_scope(ctx.sessions) as session:
        claimed = changed_rows(session, _SET_IF_ATTEMPT, {
            "document": document_id, "attempt": seen, "status": DocumentStatus.PROCESSING, "attempts": seen + 1,
            "stalled_claims": stalled + 1, "processed_at": None, "retry_at": None, "last_fault": None,
            "lease_expires_at": now + timedelta(seconds=ctx.settings.lease_seconds),
            "error_code": None, "error_message": None})
    return seen + 1 if claimed == 1 else None


def read_pages(ctx: JobContext, document_id: str, attempt: int, heartbeat: LeaseHeartbeat) -> bool:
    """Process every page not yet done, one at a time. False if the document failed."""
    with session_scope(ctx.sessions) as session:
        doc = session.execute(_SOURCE, {"document": document_id}).first()
        assert doc is not None
        path, mime = ctx.archive.abspath(doc.original_path), doc.mime_type
        done = set(session.scalars(_DONE_NUMBERS, {"document": document_id}))
    try:
        source = open_source(path, mime, ctx.settings)
    except SohoaError as e:
        if is_transient(e):
            raise
        with session_scope(ctx.sessions) as session:
            fail_document(session, document_id, e.code, e.message)
        return False
    try:
        total = source.page_count
        if total < 1 or total > ctx.settings.max_pages_per_document:
            error = TooManyPages(f"{total} pages; the limit is {ctx.settings.max_pages_per_document}")
            code = error.code if total else FailureCode.EMPTY_DOCUMENT
            with session_scope(ctx.sessions) as session:
                fail_document(session, document_id, code, error.message if total else "no pages")
            return False
        ensure_pages(ctx, document_id, total)
        for number in range(1, total + 1):
            if number in done:
                continue
            if ctx.stop_requested.is_set():
                raise WorkerShutdown(f"the worker is stopping; page {number} of {total} is next")
            if heartbeat.lost.is_set():
                raise LeaseLost(document_id)
            outcome = process_page(source, number, settings=ctx.settings, engine=ctx.ocr_engine)
            if outcome.status == PageStatus.FAILED:
                blame_disk_not_page(ctx, outcome.error_code, outcome.error_message)
            record_page(ctx, document_id, attempt, outcome)
    finally:
        source.close()
    return True


def blame_disk_not_page(ctx: JobContext, code: str | None, message: str | None) -> None:
    """A program that cannot write its output says only that it failed (Tesseract, poppler):
    a page that failed while the disk is (nearly) full failed because of the disk."""
    reason = low_space(ctx.settings)
    if reason is not None:
        raise TransientFault(FaultCode.DISK_FULL, f"{reason} (the page failed with {code}: {message})")


def ensure_pages(ctx: JobContext, document_id: str, total: int) -> None:
    with session_scope(ctx.sessions) as session:
        existing = set(session.scalars(_PAGE_NUMBERS, {"document": document_id}))
        missing = [{"document_id": document_id, "number": n} for n in range(1, total + 1) if n not in existing]
        if missing:  # one executemany of Core rows (the columns' defaults apply), not ORM objects flushed
            session.execute(_ADD_PAGES, missing)
        session.execute(_SET_DOCUMENT, {"document": document_id, "pages_total": total})


def record_page(ctx: JobContext, document_id: str, attempt: int, outcome: PageOutcome) -> None:
    """Store one page's result, its word boxes, the progress, and renew the lease."""
    stored: list[tuple[FileKind, StoredInfo]] = []
    if outcome.words is not None:
        payload = {"page": outcome.number, "width": outcome.width, "height": outcome.height,
                   "dpi": outcome.dpi, "words": outcome.words}
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        stored.append((FileKind.PAGE_WORDS,
                       ctx.archive.put_derived(document_id, f"page-{outcome.number:04d}.words.json", data)))
    if outcome.pdf_path is not None:  # kept so a resumed job merges it without OCR'ing again
        try:
            stored.append((FileKind.PAGE_PDF, ctx.archive.put_derived_file(
                document_id, page_pdf_name(outcome.number), outcome.pdf_path)))
        finally:
            outcome.pdf_path.unlink(missing_ok=True)
    words = stored[0][1] if stored and stored[0][0] == FileKind.PAGE_WORDS else None
    now = utcnow()
    with session_scope(ctx.sessions) as session:
        page = {name: getattr(outcome, name) for name in PAGE_RESULT}  # the SET clause: these columns
        page.update(words_path=words.path if words else None, processed_at=now)
        if changed_rows(session, _SET_PAGE, {"page_document": document_id, "page_number": outcome.number,
                                             **page}) != 1:
            raise LeaseLost(document_id)  # the page row is gone: the document was removed meanwhile
        store_file_rows(session, document_id, stored, now)
        progressed = session.scalar(_PAGES_READ, {"document": document_id})
        renewed = changed_rows(session, _SET_IF_ATTEMPT, {
            "document": document_id, "attempt": attempt, "pages_done": progressed, "stalled_claims": 0,
            "lease_expires_at": now + timedelta(seconds=ctx.settings.lease_seconds)})
        if renewed != 1:
            raise LeaseLost(document_id)


def finish_document(ctx: JobContext, document_id: str, attempt: int) -> None:
    """All pages tried: fail the document if nothing was read, else index it."""
    with session_scope(ctx.sessions) as session:
        rows = session.execute(_PAGE_OUTCOMES, {"document": document_id}).all()
        if not any(status == PageStatus.DONE for status, _ in rows):
            codes = {code for _, code in rows if code}
            code = codes.pop() if len(codes) == 1 else FailureCode.NO_READABLE_PAGES
            fail_document(session, document_id, code, "no page of the document could be read")
            return
        finished = changed_rows(session, _SET_IF_ATTEMPT, {"document": document_id, "attempt": attempt,
                                                           "processed_at": utcnow(), "stalled_claims": 0,
                                                           "transient_failures": 0})
    if finished != 1:
        raise LeaseLost(document_id)
    make_searchable_pdf(ctx, document_id)
    extract_record(ctx, document_id)
    index_document(ctx.services, document_id)


def make_searchable_pdf(ctx: JobContext, document_id: str) -> None:
    """Best effort, like the record: a failed merge is logged and the text is still indexed."""
    try:
        publish_searchable_pdf(ctx, document_id)
    except Exception as exc:
        if is_transient(exc):
            raise  # disk full, archive gone: try the whole finish again later, not without the PDF
        log.exception("document %s: searchable PDF failed", document_id)


def extract_record(ctx: JobContext, document_id: str) -> None:
    """Parts, their fields and records, before indexing so the index carries their facets.

    Best effort: a failure here is logged and the document is still indexed (its text stays
    searchable); the record is rebuilt the next time the document is processed.
    """
    try:
        with session_scope(ctx.sessions) as session:
            refresh_from_document(session, document_id)
    except Exception as exc:
        if is_transient(exc):
            raise
        log.exception("document %s: field extraction failed", document_id)


def fail_document(session: Session, document_id: str, code: str, message: str) -> None:
    session.execute(_SET_DOCUMENT, {"document": document_id, "status": DocumentStatus.FAILED, "error_code": code,
                                    "error_message": without_paths(message)[:2000], "lease_expires_at": None,
                                    "processed_at": utcnow()})
