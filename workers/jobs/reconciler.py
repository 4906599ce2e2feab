"""The reconciler: the database says what should be happening; make Redis agree.

Redis may lose jobs (restart without AOF, flush) and workers may be killed mid-document.
Every pass re-enqueues
- ``processing`` documents whose lease expired (their worker died),
- ``queued`` documents without a live RQ job (the message was lost), and those a transient
  fault put back with a retry time that has come (``retry_at``),
and indexes documents whose pages are all processed but whose indexing is ``pending``
(the search engine was down), including indexed documents whose re-index after a
correction missed the engine. It also removes upload spool files a killed API left behind,
registers resumable uploads whose last byte arrived but whose registration did not
happen, removes abandoned partial uploads, and once a night (from ``fixity_hour``, Vietnam
time) starts the fixity check of a share of the archive (``workers.jobs.fixity``) in a
thread of its own.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import and_, or_, select

from ingest import remove_stale_spool, upload_tmp_dir
from ingest.resumable import expire_uploads
from ingest.resumable_finish import finish_pending_uploads
from sohoa.core.clock import utcnow
from sohoa.core.db import session_scope
from sohoa.core.models import Document
from sohoa.core.vocab import DocumentStatus, FixityScope, IndexState
from sohoa.services import Services
from workers.jobs.fixity import nightly_due, run_fixity
from workers.jobs.indexing import index_with_state, reindex_all
from workers.jobs.rebuild_lock import RebuildRunning

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
            and_(Document.retry_at.is_(None), Document.created_at < now - timedelta(seconds=QUEUED_GRACE_SECONDS))
            | (Document.retry_at <= now))))
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
    spool = remove_stale_spool(upload_tmp_dir(services.settings),
                               older_than_seconds=services.settings.spool_stale_hours * 3600)
    for name in spool:
        log.warning("removed upload spool file %s left by a request that died", name)
    return {"expired": len(expired), "lost": len(lost), "index_pending": len(pending), "indexed": indexed,
            "spool_removed": len(spool), **reconcile_uploads(services)}


def reconcile_uploads(services: Services) -> dict[str, int]:
    """Register complete uploads left unregistered, then expire abandoned ones."""
    settings = services.settings
    finished = finish_pending_uploads(settings, services.sessions, services.archive,
                                      enqueue=services.queue.enqueue_new)
    return {"uploads_finished": finished, **expire_uploads(settings, services.sessions)}


class NightlyFixity:
    """Starts the nightly fixity share in a thread when it is due, one at a time."""

    def __init__(self, services: Services, stop: threading.Event) -> None:
        self.services, self.stop = services, stop
        self.thread: threading.Thread | None = None

    def maybe_start(self) -> bool:
        if self.thread is not None and self.thread.is_alive():
            return False
        if not nightly_due(self.services):
            return False
        self.thread = threading.Thread(target=self._run, name="fixity", daemon=True)
        self.thread.start()
        return True

    def _run(self) -> None:
        share = 1.0 / self.services.settings.fixity_cycle_days
        try:
            report = run_fixity(self.services, scope=FixityScope.SHARE, share=share, stop=self.stop)
            log.info("fixity: %d files checked, %d problems", report.checked, len(report.problems))
        except Exception:
            log.exception("nightly fixity check failed")


class IndexUpgrade:
    """Rebuilds the search index in a thread when the backend cannot read the one it has
    (an embedded index written by an older sohoa), so an upgraded stack heals on its own."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.thread: threading.Thread | None = None

    def maybe_start(self) -> bool:
        if self.thread is not None and self.thread.is_alive():
            return False
        if not self.services.search.needs_rebuild():
            return False
        self.thread = threading.Thread(target=self._run, name="reindex", daemon=True)
        self.thread.start()
        return True

    def _run(self) -> None:
        try:
            log.info("search index rebuilt after an upgrade: %d documents", reindex_all(self.services))
        except RebuildRunning:
            log.info("search index: a rebuild is already running")
        except Exception:
            log.exception("rebuilding the search index after an upgrade failed")


def run_reconciler(services: Services, interval_seconds: float, stop: threading.Event) -> None:
    """Reconcile every ``interval_seconds`` until ``stop`` is set; a failing pass is logged."""
    fixity = NightlyFixity(services, stop)
    upgrade = IndexUpgrade(services)
    while not stop.is_set():
        try:
            if upgrade.maybe_start():
                log.warning("the search index was written by an older sohoa: rebuilding it")
            if fixity.maybe_start():
                log.info("nightly fixity check started")
            counts = reconcile_once(services)
            if any(counts.values()):
                log.info("reconciler: %s", counts)
        except Exception:
            log.exception("reconciler pass failed")
        stop.wait(interval_seconds)
