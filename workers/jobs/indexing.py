"""From the database to the search index: one document, or a full rebuild.

The index is derived data. A search outage never loses a document: its ``index_state``
stays ``pending`` and the reconciler indexes it later; a document the engine refuses for
good is marked failed with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, sessionmaker

from search import IndexedDocument, IndexedPage, IndexedPart
from search.errors import DocumentRejected
from sohoa.core.clock import utcnow
from sohoa.core.db import session_scope
from sohoa.core.errors import NotFound, ServiceUnavailable
from sohoa.core.models import BatchItem, Document, Page, table_of
from sohoa.core.vocab import DocumentStatus, IndexState, PageStatus
from sohoa.domain.records.facets import search_facets
from sohoa.services import Services
from workers.jobs.rebuild_lock import rebuild_lock

log = logging.getLogger(__name__)

# Errors meaning "the engine is unreachable right now": retry later, keep the document.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (ServiceUnavailable, ConnectionError, TimeoutError, OSError)

# Statements built once, run as rows (no ORM objects): a worker indexes every document it
# finishes, and building the statements and loading the document's object per call were
# most of the reads' CPU.
_DOCUMENTS, _PAGES, _ITEMS = table_of(Document), table_of(Page), table_of(BatchItem)
_DOCUMENT = select(_DOCUMENTS.c.id, _DOCUMENTS.c.first_batch_id, _DOCUMENTS.c.agency_code, _DOCUMENTS.c.procedure_code,
                   _DOCUMENTS.c.created_at, _DOCUMENTS.c.filename).where(_DOCUMENTS.c.id == bindparam("document"))
_DONE_PAGES = (select(_PAGES.c.number, _PAGES.c.text, _PAGES.c.needs_review)
               .where(_PAGES.c.document_id == bindparam("document"), _PAGES.c.status == PageStatus.DONE)
               .order_by(_PAGES.c.number))
_BATCHES = select(_ITEMS.c.batch_id).where(_ITEMS.c.document_id == bindparam("document")).order_by(_ITEMS.c.id)
_SET_INDEX_STATE = update(_DOCUMENTS).where(_DOCUMENTS.c.id == bindparam("document"))
_SET_IF_READY = update(_DOCUMENTS).where(_DOCUMENTS.c.id == bindparam("document"),  # its pages are processed
                                         _DOCUMENTS.c.status == DocumentStatus.PROCESSING,
                                         _DOCUMENTS.c.processed_at.is_not(None))


def build_indexed_document(session: Session, document_id: str) -> IndexedDocument:
    """Everything the backend stores about one document, read from the database: each
    page with the record of the part it is in (``records.facets``)."""
    session.flush()  # the caller's pending changes are read too, as the ORM's autoflush did
    key = {"document": document_id}
    doc = session.execute(_DOCUMENT, key).first()
    if doc is None:
        raise NotFound(f"document {document_id} does not exist")
    pages = session.execute(_DONE_PAGES, key).all()
    batch_ids = list(dict.fromkeys(session.scalars(_BATCHES, key)))
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
    values: dict[str, object] = {"document": document_id, "index_state": state, "index_error": error}
    if state == IndexState.INDEXED:
        values.update(indexed_at=utcnow())
    implied: dict[str, object] = {"document": document_id, "lease_expires_at": None}
    if state == IndexState.INDEXED:
        implied.update(status=DocumentStatus.INDEXED)
    elif state == IndexState.FAILED:
        implied.update(status=DocumentStatus.FAILED, error_code="index_rejected", error_message=error)
    with session_scope(sessions) as session:
        session.execute(_SET_INDEX_STATE, values)
        session.execute(_SET_IF_READY, implied)


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
