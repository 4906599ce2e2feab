"""From the database to the search index: one document, or a full rebuild.

The index is derived data. A search outage never loses a document: its ``index_state``
stays ``pending`` and the reconciler indexes it later; a document the engine refuses for
good is marked failed with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from search import IndexedDocument, IndexedPage, IndexedPart
from search.errors import DocumentRejected
from sohoa.core.clock import utcnow
from sohoa.core.db import session_scope
from sohoa.core.errors import NotFound, ServiceUnavailable
from sohoa.core.models import BatchItem, Document, Page
from sohoa.core.vocab import DocumentStatus, IndexState, PageStatus
from sohoa.domain.records.facets import search_facets
from sohoa.services import Services
from workers.jobs.rebuild_lock import rebuild_lock

log = logging.getLogger(__name__)

# Errors meaning "the engine is unreachable right now": retry later, keep the document.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (ServiceUnavailable, ConnectionError, TimeoutError, OSError)


def build_indexed_document(session: Session, document_id: str) -> IndexedDocument:
    """Everything the backend stores about one document, read from the database: each
    page with the record of the part it is in (``records.facets``)."""
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound(f"document {document_id} does not exist")
    pages = session.execute(
        select(Page.number, Page.text, Page.needs_review)
        .where(Page.document_id == document_id, Page.status == PageStatus.DONE).order_by(Page.number)
    ).all()
    batch_ids = list(dict.fromkeys(session.scalars(
        select(BatchItem.batch_id).where(BatchItem.document_id == document_id).order_by(BatchItem.id))))
    if doc.first_batch_id not in batch_ids:
        batch_ids.insert(0, doc.first_batch_id)
    own, parts = search_facets(session, document_id)
    return IndexedDocument(
        document_id=doc.id,
        pages=[IndexedPage(number=n, text=text or "", needs_review=bool(flag)) for n, text, flag in pages],
        batch_ids=batch_ids,
        agency_code=doc.agency_code,
        procedure_code=doc.procedure_code,
        uploaded_at=doc.created_at,
        status=DocumentStatus.INDEXED,
        filename=doc.filename,
        parts=[IndexedPart(first_page=first, last_page=last, **fields) for first, last, fields in parts],
        **own,
    )


def index_document(services: Services, document_id: str) -> None:
    """Index one processed document and record the outcome on it (never raises on outage)."""
    index_with_state(services, document_id)


def index_with_state(services: Services, document_id: str) -> IndexState:
    """Like ``index_document`` but returns the resulting ``index_state``."""
    sessions = services.sessions
    with session_scope(sessions) as session:
        indexed = build_indexed_document(session, document_id)
    try:
        services.search.index_documents([indexed])
    except DocumentRejected as e:
        _record(sessions, document_id, IndexState.FAILED, f"{e.code}: {e.message}")
        return IndexState.FAILED
    except OUTAGE_ERRORS as e:
        log.warning("document %s: search unavailable, index later: %s", document_id, e)
        _record(sessions, document_id, IndexState.PENDING, f"{type(e).__name__}: {e}")
        return IndexState.PENDING
    _record(sessions, document_id, IndexState.INDEXED, None)
    return IndexState.INDEXED


def _record(sessions: sessionmaker[Session], document_id: str, state: IndexState, error: str | None) -> None:
    """Index state, and the document state it implies once its pages are processed."""
    values: dict[str, object] = {"index_state": state, "index_error": error}
    if state == IndexState.INDEXED:
        values.update(indexed_at=utcnow())
    with session_scope(sessions) as session:
        session.execute(update(Document).where(Document.id == document_id).values(**values))
        ready = (
            Document.id == document_id,
            Document.status == DocumentStatus.PROCESSING,
            Document.processed_at.is_not(None),
        )
        if state == IndexState.INDEXED:
            session.execute(update(Document).where(*ready).values(status=DocumentStatus.INDEXED, lease_expires_at=None))
        elif state == IndexState.FAILED:
            session.execute(
                update(Document)
                .where(*ready)
                .values(
                    status=DocumentStatus.FAILED,
                    error_code="index_rejected",
                    error_message=error,
                    lease_expires_at=None,
                )
            )
        else:
            session.execute(update(Document).where(*ready).values(lease_expires_at=None))


def reindex_all(services: Services, progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the whole index from the database (new version swapped in by the backend);
    one at a time (``RebuildRunning`` if another holds the lock)."""
    with rebuild_lock(services.settings, services.queue.connection) as keep_alive:
        return _reindex(services, progress, keep_alive)


def _reindex(services: Services, progress: Callable[[int, int], None] | None, keep_alive: Callable[[], None]) -> int:
    sessions = services.sessions
    with session_scope(sessions) as session:
        ids = list(
            session.scalars(
                select(Document.id)
                .where(
                    Document.processed_at.is_not(None),
                    Document.status.in_((DocumentStatus.INDEXED, DocumentStatus.PROCESSING)),
                )
                .order_by(Document.created_at, Document.id)
            )
        )
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

    count = services.search.rebuild(documents())
    for start in range(0, total, 500):
        chunk = ids[start : start + 500]
        with session_scope(sessions) as session:
            session.execute(
                update(Document)
                .where(Document.id.in_(chunk))
                .values(index_state=IndexState.INDEXED, index_error=None, indexed_at=utcnow())
            )
            session.execute(
                update(Document)
                .where(
                    Document.id.in_(chunk),
                    Document.status == DocumentStatus.PROCESSING,
                    Document.processed_at.is_not(None),
                )
                .values(status=DocumentStatus.INDEXED, lease_expires_at=None)
            )
    return count
