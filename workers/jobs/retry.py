"""Retrying failed documents: ``sohoa retry`` and the admin routes.

``failed`` is final for the workers, so a document that failed for a reason since fixed (a
bug, a wrong setting, a cause that was not its content) waits for an operator. A retry puts
it back in the queue as if new: the failure and its counters are cleared, failed pages are
read again, pages already read are kept. It is a compare-and-set on ``status = failed``, so
two retries at once queue it once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from sohoa.core.db import changed_rows, session_scope
from sohoa.core.errors import BadRequest
from sohoa.core.models import BatchItem, Document, Page
from sohoa.core.vocab import DocumentStatus, IndexState, PageStatus
from sohoa.domain import audit
from sohoa.domain.principal import Principal
from sohoa.services import Services

log = logging.getLogger(__name__)

MAX_PER_CALL = 10_000


@dataclass(frozen=True)
class RetryFilter:
    """Which failed documents: these ids, or those of a batch, or with an error code, or all."""

    document_ids: Sequence[str] = ()
    batch_id: str | None = None
    error_code: str | None = None
    all_failed: bool = False

    def is_empty(self) -> bool:
        return not (self.document_ids or self.batch_id or self.error_code or self.all_failed)


@dataclass
class RetryOutcome:
    retried: list[str] = field(default_factory=list)
    not_failed: list[str] = field(default_factory=list)  # asked for by id, but not failed (or unknown)
    enqueued: bool = True  # False when Redis was unreachable: the reconciler queues them


def retry_documents(services: Services, wanted: RetryFilter, *, who: Principal | None = None,
                    via: str = "cli") -> RetryOutcome:
    if wanted.is_empty():
        raise BadRequest("say which documents to retry: ids, a batch, an error code, or all failed",
                         code="no_filter")
    outcome = RetryOutcome()
    with session_scope(services.sessions) as session:
        candidates = list(session.scalars(_select_failed(wanted).limit(MAX_PER_CALL)))
        for document_id in candidates:
            if _reset(session, document_id):
                outcome.retried.append(document_id)
        outcome.not_failed = [d for d in wanted.document_ids if d not in set(outcome.retried)]
        if outcome.retried:
            audit.record(session, who, "document.retry", target_type="document",
                         target_id=outcome.retried[0] if len(outcome.retried) == 1 else None,
                         result_count=len(outcome.retried),
                         detail={"via": via, "batch_id": wanted.batch_id, "error_code": wanted.error_code,
                                 "all_failed": wanted.all_failed, "document_ids": outcome.retried[:100]})
    for document_id in outcome.retried:
        try:
            services.queue.enqueue(document_id)
        except Exception as exc:  # noqa: BLE001 - Redis down: the database says queued, the reconciler enqueues
            log.warning("could not enqueue document %s (%s); the reconciler will", document_id, exc)
            outcome.enqueued = False
            break
    return outcome


def _select_failed(wanted: RetryFilter) -> Select[str]:
    query = select(Document.id).where(Document.status == DocumentStatus.FAILED)
    if wanted.document_ids:
        query = query.where(Document.id.in_(list(wanted.document_ids)))
    if wanted.batch_id:
        query = query.where(Document.id.in_(select(BatchItem.document_id).where(
            BatchItem.batch_id == wanted.batch_id)))
    if wanted.error_code:
        query = query.where(Document.error_code == wanted.error_code)
    return query.order_by(Document.created_at, Document.id)


def _reset(session: Session, document_id: str) -> bool:
    changed = changed_rows(session, update(Document).where(
        Document.id == document_id, Document.status == DocumentStatus.FAILED,
    ).values(status=DocumentStatus.QUEUED, error_code=None, error_message=None, stalled_claims=0,
             transient_failures=0, retry_at=None, last_fault=None, lease_expires_at=None, processed_at=None,
             index_state=IndexState.PENDING, index_error=None))
    if changed != 1:
        return False
    session.execute(update(Page).where(Page.document_id == document_id, Page.status == PageStatus.FAILED)
                    .values(status=PageStatus.PENDING, error_code=None, error_message=None))
    return True
