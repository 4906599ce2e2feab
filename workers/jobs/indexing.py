"""From the database to the search index: one document, or a full rebuild.

The index is derived data. A search outage never loses a document: its ``index_state``
stays ``pending`` and the reconciler indexes it later; a document the engine refuses for
good is marked failed with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from search import IndexedDocument, IndexedPage, open_backend
from search.errors import DocumentRejected
from sohoa.core.config import Settings
from sohoa.core.db import session_scope
from sohoa.core.errors import NotFound, ServiceUnavailable
from sohoa.core.models import (
    FAILED, INDEX_DONE, INDEX_FAILED, INDEX_PENDING, INDEXED, PAGE_DONE, PROCESSING,
    BatchItem, Document, Page, utcnow,
)
from sohoa.domain.records.facets import search_facets
from workers.jobs.context import session_factory

log = logging.getLogger(__name__)

# Errors meaning "the engine is unreachable right now": retry later, keep the document.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (ServiceUnavailable, ConnectionError, TimeoutError, OSError)


def build_indexed_document(session: Session, document_id: str) -> IndexedDocument:
    """Everything the backend stores about one document, read from the database."""
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound(f"document {document_id} does not exist")
    pages = session.execute(
        select(Page.number, Page.text).where(Page.document_id == document_id, Page.status == PAGE_DONE)
        .order_by(Page.number)
    ).all()
    batch_ids = list(dict.fromkeys(session.scalars(
        select(BatchItem.batch_id).where(BatchItem.document_id == document_id).order_by(BatchItem.id))))
    if doc.first_batch_id not in batch_ids:
        batch_ids.insert(0, doc.first_batch_id)
    return IndexedDocument(
        document_id=doc.id,
        pages=[IndexedPage(number=n, text=text or "") for n, text in pages],
        batch_ids=batch_ids,
        agency_code=doc.agency_code,
        procedure_code=doc.procedure_code,
        uploaded_at=doc.created_at,
        status=INDEXED,
        filename=doc.filename,
        **search_facets(session, document_id),
    )


def index_document(settings: Settings, document_id: str) -> None:
    """Index one processed document and record the outcome on it (never raises on outage)."""
    index_with_state(settings, document_id)


def index_with_state(settings: Settings, document_id: str) -> str:
    """Like ``index_document`` but returns the resulting ``index_state``."""
    sessions = session_factory(settings)
    with session_scope(sessions) as session:
        indexed = build_indexed_document(session, document_id)
    try:
        backend = open_backend(settings)
        try:
            backend.index_documents([indexed])
        finally:
            backend.close()
    except DocumentRejected as e:
        _record(sessions, document_id, INDEX_FAILED, f"{e.code}: {e.message}")
        return INDEX_FAILED
    except OUTAGE_ERRORS as e:
        log.warning("document %s: search unavailable, index later: %s", document_id, e)
        _record(sessions, document_id, INDEX_PENDING, f"{type(e).__name__}: {e}")
        return INDEX_PENDING
    _record(sessions, document_id, INDEX_DONE, None)
    return INDEX_DONE


def _record(sessions, document_id: str, state: str, error: str | None) -> None:  # type: ignore[no-untyped-def]
    """Index state, and the document state it implies once its pages are processed."""
    values: dict[str, object] = {"index_state": state, "index_error": error}
    if state == INDEX_DONE:
        values.update(indexed_at=utcnow())
    with session_scope(sessions) as session:
        session.execute(update(Document).where(Document.id == document_id).values(**values))
        ready = (Document.id == document_id, Document.status == PROCESSING, Document.processed_at.is_not(None))
        if state == INDEX_DONE:
            session.execute(update(Document).where(*ready).values(status=INDEXED, lease_expires_at=None))
        elif state == INDEX_FAILED:
            session.execute(update(Document).where(*ready).values(
                status=FAILED, error_code="index_rejected", error_message=error, lease_expires_at=None))
        else:
            session.execute(update(Document).where(*ready).values(lease_expires_at=None))


def reindex_all(settings: Settings, progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the whole index from the database (new version swapped in by the backend);
    one at a time (``RebuildRunning`` if another holds the lock)."""
    from workers.jobs.rebuild_lock import rebuild_lock

    with rebuild_lock(settings) as keep_alive:
        return _reindex(settings, progress, keep_alive)


def _reindex(settings: Settings, progress: Callable[[int, int], None] | None,
             keep_alive: Callable[[], None]) -> int:
    sessions = session_factory(settings)
    with session_scope(sessions) as session:
        ids = list(session.scalars(select(Document.id).where(
            Document.processed_at.is_not(None), Document.status.in_((INDEXED, PROCESSING))
        ).order_by(Document.created_at, Document.id)))
    total = len(ids)
    if progress:
        progress(0, total)

    def documents() -> Iterator[IndexedDocument]:
        for done, document_id in enumerate(ids, start=1):
            with session_scope(sessions) as session:
                indexed = build_indexed_document(session, document_id)
            yield indexed
            keep_alive()
            if progress:
                progress(done, total)

    backend = open_backend(settings)
    try:
        count = backend.rebuild(documents())
    finally:
        backend.close()
    for start in range(0, total, 500):
        chunk = ids[start:start + 500]
        with session_scope(sessions) as session:
            session.execute(update(Document).where(Document.id.in_(chunk)).values(
                index_state=INDEX_DONE, index_error=None, indexed_at=utcnow()))
            session.execute(update(Document).where(
                Document.id.in_(chunk), Document.status == PROCESSING, Document.processed_at.is_not(None)
            ).values(status=INDEXED, lease_expires_at=None))
    return count
