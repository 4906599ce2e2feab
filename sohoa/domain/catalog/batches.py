"""Batches newest first, with their documents counted by state: three queries a page.

A batch is ``processing`` while any of its documents is queued or processing, else
``done`` (as ``GET /batches/{id}`` says); a file rejected at upload counts as failed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, distinct, exists, func, select
from sqlalchemy.orm import Session

from sohoa.core.models import ApiKey, Batch, BatchItem, Document, Page, User
from sohoa.core.vocab import BatchStatus, DocumentStatus
from sohoa.domain.catalog._common import ListPage, Paging, Scope, count_of, in_range, scoped

_BUSY = (DocumentStatus.QUEUED, DocumentStatus.PROCESSING)


@dataclass(frozen=True)
class BatchFilters:
    created_by_key_id: int | None = None
    created_by_user_id: int | None = None
    agency_code: str | None = None
    created_from: date | None = None  # Vietnam calendar days, inclusive
    created_to: date | None = None
    status: BatchStatus | None = None


@dataclass
class BatchSummary:
    id: str
    created_at: datetime
    agency_code: str | None
    procedure_code: str | None
    note: str | None
    created_by_key_id: int | None
    created_by_user_id: int | None
    created_by_name: str | None  # the person's display name, or the key's name
    counts: dict[str, int] = field(default_factory=dict)  # document status → files
    pages_needing_review: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def status(self) -> BatchStatus:
        busy = any(self.counts.get(s, 0) for s in _BUSY)
        return BatchStatus.PROCESSING if busy else BatchStatus.DONE


def busy_clause() -> ColumnElement[bool]:
    """The batch has a document still queued or processing."""
    return exists().where(BatchItem.batch_id == Batch.id, BatchItem.document_id == Document.id,
                          Document.status.in_(_BUSY))


def visible(scope: Scope) -> ColumnElement[bool]:
    """The batches a caller of ``scope`` may see (its agency's, and those it created)."""
    return scoped(Batch.agency_code, scope, created_by_user=Batch.created_by_user_id,
                  created_by_key=Batch.created_by_key_id)


def may_see(batch: Batch, scope: Scope) -> bool:
    """``visible`` for one loaded batch."""
    return scope.sees(batch.agency_code, created_by_user_id=batch.created_by_user_id,
                      created_by_key_id=batch.created_by_key_id)


def list_batches(session: Session, filters: BatchFilters, paging: Paging, scope: Scope) -> ListPage[BatchSummary]:
    creator = func.coalesce(User.display_name, ApiKey.name)
    query = _filtered(select(Batch, creator).outerjoin(ApiKey, ApiKey.id == Batch.created_by_key_id)
                      .outerjoin(User, User.id == Batch.created_by_user_id), filters, scope)
    total = count_of(session, query)
    rows = session.execute(query.order_by(Batch.created_at.desc(), Batch.id.desc())
                           .limit(paging.size).offset(paging.offset)).all()
    summaries = [BatchSummary(id=b.id, created_at=b.created_at, agency_code=b.agency_code,
                              procedure_code=b.procedure_code, note=b.note, created_by_key_id=b.created_by_key_id,
                              created_by_user_id=b.created_by_user_id, created_by_name=name) for b, name in rows]
    _count_documents(session, summaries)
    return ListPage(total=total, items=summaries)


def _filtered(query: Select[Batch, str], f: BatchFilters, scope: Scope) -> Select[Batch, str]:
    query = query.where(visible(scope), *in_range(Batch.created_at, f.created_from, f.created_to))
    if f.created_by_key_id is not None:
        query = query.where(Batch.created_by_key_id == f.created_by_key_id)
    if f.created_by_user_id is not None:
        query = query.where(Batch.created_by_user_id == f.created_by_user_id)
    if f.agency_code is not None:
        query = query.where(Batch.agency_code == f.agency_code)
    if f.status == BatchStatus.PROCESSING:
        query = query.where(busy_clause())
    elif f.status == BatchStatus.DONE:
        query = query.where(~busy_clause())
    return query


def _count_documents(session: Session, summaries: list[BatchSummary]) -> None:
    """Files by state and distinct flagged pages, for all the page's batches at once."""
    by_id = {s.id: s for s in summaries}
    if not by_id:
        return
    state = func.coalesce(Document.status, DocumentStatus.FAILED.value)  # rejected files count as failed
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for batch_id, status, n in session.execute(
            select(BatchItem.batch_id, state, func.count()).outerjoin(Document, Document.id == BatchItem.document_id)
            .where(BatchItem.batch_id.in_(by_id)).group_by(BatchItem.batch_id, state)):
        counts[batch_id][status] = n
    for batch_id, n in session.execute(
            select(BatchItem.batch_id, func.count(distinct(Page.id)))
            .join(Page, Page.document_id == BatchItem.document_id)
            .where(BatchItem.batch_id.in_(by_id), Page.needs_review.is_(True)).group_by(BatchItem.batch_id)):
        by_id[batch_id].pages_needing_review = n
    for batch_id, summary in by_id.items():
        summary.counts = {s.value: counts[batch_id].get(s.value, 0) for s in DocumentStatus}


@dataclass(frozen=True)
class CodeUse:
    value: str
    batches: int
    last_used_at: datetime


def batch_codes(session: Session, scope: Scope, *, limit: int = 50) -> dict[str, list[CodeUse]]:
    """The agency and procedure codes of the batches ``scope`` sees, most recently used
    first: what an upload form offers to pick from, so an office types a code once."""
    found: dict[str, list[CodeUse]] = {}
    for name, column in (("agency_codes", Batch.agency_code), ("procedure_codes", Batch.procedure_code)):
        last = func.max(Batch.created_at)
        rows = session.execute(select(column, func.count(), last).where(visible(scope), column.is_not(None))
                               .group_by(column).order_by(last.desc(), column).limit(limit))
        found[name] = [CodeUse(value=v, batches=n, last_used_at=at) for v, n, at in rows if v is not None]
    return found
