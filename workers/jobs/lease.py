"""A document's lease while a job holds it, and how a job lets go of it.

The lease (``documents.lease_expires_at``, compare-and-set on ``attempts``) says "a live
worker is on this document": the reconciler re-queues a document only once its lease has
expired. A page may legitimately take longer than the lease (two OCR passes of up to
``page_timeout_seconds`` each), so ``LeaseHeartbeat`` renews it from a thread every third of
the lease while the job runs; only a dead worker stops renewing.

A job lets go in one of two ways:
- ``requeue_after_fault``: a transient fault (``sohoa.core.faults``) or a shutdown stopped
  it. The document goes back to ``queued`` with ``retry_at`` (backoff on
  ``transient_failures``), and the claim is not counted against the content.
- ``release_after_error``: anything else. The lease is expired at once so RQ's retry can
  claim it again, and the error is kept as ``last_fault`` for the give-up message.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from sqlalchemy import case, update

from sohoa.core.clock import utcnow
from sohoa.core.db import changed_rows, session_scope
from sohoa.core.faults import describe
from sohoa.core.models import Document
from sohoa.core.vocab import DocumentStatus, FailureCode, FaultCode
from workers.jobs.context import JobContext

log = logging.getLogger(__name__)

RELEASE_TRIES = (0.0, 0.5, 1.0, 2.0, 4.0)  # the database may be what failed: ~7 s, within a stop's grace


class LeaseHeartbeat:
    """Renews the lease every ``lease_seconds / 3`` until stopped; ``lost`` once another
    claim took the document (the job notices at its next write and stops)."""

    def __init__(self, ctx: JobContext, document_id: str, attempt: int) -> None:
        self.ctx, self.document_id, self.attempt = ctx, document_id, attempt
        self.interval = max(ctx.settings.lease_seconds / 3.0, 0.05)
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{document_id[:8]}", daemon=True)

    def __enter__(self) -> LeaseHeartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                if not renew_lease(self.ctx, self.document_id, self.attempt):
                    self.lost.set()
                    return
            except Exception as exc:  # noqa: BLE001 - database down: keep trying; the lease may lapse
                log.warning("document %s: could not renew the lease (%s)", self.document_id, describe(exc))


def renew_lease(ctx: JobContext, document_id: str, attempt: int) -> bool:
    """Push the lease forward; False when our claim is no longer the current one."""
    with session_scope(ctx.sessions) as session:
        return changed_rows(session, update(Document).where(
            Document.id == document_id, Document.attempts == attempt,
            Document.status == DocumentStatus.PROCESSING,
        ).values(lease_expires_at=utcnow() + timedelta(seconds=ctx.settings.lease_seconds))) == 1


def backoff_seconds(ctx: JobContext, transient_failures: int) -> float:
    first, longest = ctx.settings.transient_retry_seconds, ctx.settings.transient_retry_max_seconds
    return min(first * (2 ** min(transient_failures, 30)), longest)


def requeue_after_fault(ctx: JobContext, document_id: str, attempt: int, code: FaultCode,
                        exc: BaseException) -> bool:
    """Back to ``queued`` with a retry time; True once written (tried a few times: the
    database may be the thing that failed; if it stays down the lease lapses instead and
    the reconciler takes over)."""
    for pause in RELEASE_TRIES:
        time.sleep(pause)
        try:
            return _requeue(ctx, document_id, attempt, code, exc)
        except Exception as write_error:  # noqa: BLE001 - retried; logged below if it never works
            last = write_error
    log.error("document %s: could not put it back in the queue after %s (%s); its lease will lapse and "
              "the reconciler re-queues it", document_id, code, describe(last))
    return False


def _requeue(ctx: JobContext, document_id: str, attempt: int, code: FaultCode, exc: BaseException) -> bool:
    now = utcnow()
    with session_scope(ctx.sessions) as session:
        doc = session.get(Document, document_id)
        if doc is None or doc.attempts != attempt:
            return False  # someone else holds it now
        shutdown = code == FaultCode.WORKER_SHUTDOWN
        failures = doc.transient_failures
        delay = 0.0 if shutdown else backoff_seconds(ctx, failures)
        changed_rows(session, update(Document).where(
            Document.id == document_id, Document.attempts == attempt,
        ).values(
            status=DocumentStatus.QUEUED, lease_expires_at=None, processed_at=None,
            retry_at=now + timedelta(seconds=delay),
            transient_failures=failures if shutdown else failures + 1,
            stalled_claims=case((Document.stalled_claims > 0, Document.stalled_claims - 1), else_=0),
            last_fault=f"{code.value}: {describe(exc)}",
        ))
    log.warning("document %s: stopped by %s (%s); queued again in %.0f s without counting it against the "
                "document", document_id, code, describe(exc), delay)
    return True


def release_after_error(ctx: JobContext, document_id: str, attempt: int, exc: BaseException) -> None:
    """After an unexpected error: expire our lease so a retry can claim the document, and
    keep the error for the message if it is given up."""
    try:
        with session_scope(ctx.sessions) as session:
            session.execute(update(Document).where(
                Document.id == document_id, Document.attempts == attempt, Document.status == DocumentStatus.PROCESSING
            ).values(lease_expires_at=utcnow(), last_fault=f"{FailureCode.PROCESSING_ERROR.value}: {describe(exc)}"))
    except Exception:
        log.exception("document %s: could not release the lease", document_id)


def give_up_reason(stalled: int, last_fault: str | None) -> tuple[str, str]:
    """The failure code and message of a document whose claims keep ending badly."""
    code, _, message = (last_fault or "").partition(": ")
    if code == FailureCode.PROCESSING_ERROR:
        return FailureCode.PROCESSING_ERROR, f"gave up after {stalled} attempts, each failed with: {message}"
    return FailureCode.WORKER_DIED, (f"gave up after {stalled} attempts in a row without finishing a page: "
                                     "the worker died each time (killed, out of memory, or the machine stopped)")
