"""The reconciler: the database says what should be happening; make Redis agree.

Redis may lose jobs (restart without AOF, flush) and workers may be killed mid-document.
Every pass re-enqueues
- ``processing`` documents whose lease expired (their worker died),
- ``queued`` documents without a live RQ job (the message was lost),
and indexes documents whose pages are all processed but whose indexing is ``pending``
(the search engine was down), including indexed documents whose re-index after a
correction missed the engine.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import or_, select

from sohoa.core.clock import utcnow
from sohoa.core.db import session_scope
from sohoa.core.models import Document
from sohoa.core.vocab import DocumentStatus, IndexState
from sohoa.services import Services
from workers.jobs.indexing import index_with_state

log = logging.getLogger(__name__)

QUEUED_GRACE_SECONDS = 30  # ingest commits the document a moment before it enqueues


def reconcile_once(services: Services) -> dict[str, int]:
    """One pass; returns how many documents each rule acted on."""
    now = utcnow()
    with session_scope(services.sessions) as session:
        expired = list(session.scalars(select(Document.id).where(
            Document.status == DocumentStatus.PROCESSING, Document.processed_at.is_(None),
            or_(Document.lease_expires_at.is_(None), Document.lease_expires_at < now))))
        queued = list(session.scalars(select(Document.id).where(
            Document.status == DocumentStatus.QUEUED,
            Document.created_at < now - timedelta(seconds=QUEUED_GRACE_SECONDS))))
        pending = list(
            session.scalars(
                select(Document.id).where(  # indexed: a re-index (correction) missed
                    Document.status.in_((DocumentStatus.PROCESSING, DocumentStatus.INDEXED)),
                    Document.processed_at.is_not(None),
                    Document.index_state == IndexState.PENDING,
                    or_(Document.lease_expires_at.is_(None), Document.lease_expires_at < now),
                )
            )
        )
    queue = services.queue
    for document_id in expired:
        log.warning("document %s: worker lease expired, re-enqueueing", document_id)
        queue.enqueue(document_id, force=True)
    lost = [d for d in queued if not queue.has_live_job(d)]
    for document_id in lost:
        log.warning("document %s: queued but no live job, re-enqueueing", document_id)
        queue.enqueue(document_id)
    indexed = 0
    for document_id in pending:
        if index_with_state(services, document_id) != IndexState.INDEXED:
            break  # still down: try the rest on the next pass
        indexed += 1
    return {"expired": len(expired), "lost": len(lost), "index_pending": len(pending), "indexed": indexed}


def run_reconciler(services: Services, interval_seconds: float, stop: threading.Event) -> None:
    """Reconcile every ``interval_seconds`` until ``stop`` is set; a failing pass is logged."""
    while not stop.is_set():
        try:
            counts = reconcile_once(services)
            if any(counts.values()):
                log.info("reconciler: %s", counts)
        except Exception:
            log.exception("reconciler pass failed")
        stop.wait(interval_seconds)
