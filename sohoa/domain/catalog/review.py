"""The review queue: read documents an officer should look at, oldest upload first; one item
per record, so a file of several documents gives one item per part, with its own pages.

A document is in the queue while its record is not confirmed and it has something to
check: a record extracted from OCR (``unconfirmed``: every reusable result should be
confirmed before a portal relies on it), or pages whose OCR confidence is below the
threshold (``low_confidence``). Confirming the record (``PATCH /records/{id}``) takes the
document out, flagged pages included: the officer has looked at them. A document without
a record leaves the queue only if its pages are read again. Failed and unread documents
are not in it (their state is in the batch view).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.orm import Session

from sohoa.core.models import BatchItem, Document, Page, Part, Record
from sohoa.core.vocab import DocumentStatus, ReviewReason, ReviewState
from sohoa.domain.catalog._common import ListPage, Paging, Scope, count_of, in_range, scoped
from sohoa.domain.catalog.documents import flagged_pages


@dataclass(frozen=True)
class ReviewFilters:
    agency_code: str | None = None
    batch_id: str | None = None
    reason: ReviewReason | None = None  # None: either
    uploaded_from: date | None = None
    uploaded_to: date | None = None


@dataclass(frozen=True)
class FlaggedPage:
    number: int
    confidence: float | None


@dataclass
class ReviewItem:
    """One record to review (a file of several documents gives one item per part), or a
    file without any record whose pages are flagged."""

    document: Document
    record: Record | None
    pages: list[FlaggedPage] = field(default_factory=list)  # flagged pages of the part (of the file)
    part: Part | None = None

    @property
    def reasons(self) -> list[ReviewReason]:
        out = [ReviewReason.LOW_CONFIDENCE] if self.pages else []
        if self.record is not None:
            out.append(ReviewReason.UNCONFIRMED)
        return out


def _in_queue() -> ColumnElement[bool]:
    unconfirmed = or_(Record.id.is_(None), Record.review_state != ReviewState.CONFIRMED)
    read = and_(Document.processed_at.is_not(None), Document.status != DocumentStatus.FAILED)
    return and_(read, unconfirmed, or_(Record.id.is_not(None), flagged_pages()))


def review_queue(session: Session, filters: ReviewFilters, paging: Paging, scope: Scope) -> ListPage[ReviewItem]:
    query = _filtered(select(Document, Record, Part).outerjoin(Record, Record.document_id == Document.id)
                      .outerjoin(Part, Part.id == Record.part_id), filters)
    query = query.where(_in_queue(), scoped(Document.agency_code, scope))
    total = count_of(session, query)
    rows = session.execute(query.order_by(Document.created_at.asc(), Document.id.asc(), Part.position.asc())
                           .limit(paging.size).offset(paging.offset)).all()
    items = [ReviewItem(document=d, record=r, part=p) for d, r, p in rows]
    flagged: dict[str, list[FlaggedPage]] = defaultdict(list)
    for document_id, number, confidence in session.execute(
            select(Page.document_id, Page.number, Page.confidence)
            .where(Page.document_id.in_([i.document.id for i in items]), Page.needs_review.is_(True))
            .order_by(Page.document_id, Page.number)):
        flagged[document_id].append(FlaggedPage(number, confidence))
    for item in items:
        part = item.part
        item.pages = [f for f in flagged[item.document.id]
                      if part is None or part.first_page <= f.number <= part.last_page]
    return ListPage(total=total, items=items)


def _flagged_in_part() -> ColumnElement[bool]:
    """A page of the item's part (of the file, for an item without a part) is flagged."""
    return and_(flagged_pages(), or_(Part.id.is_(None), exists().where(
        Page.document_id == Document.id, Page.needs_review.is_(True),
        Page.number.between(Part.first_page, Part.last_page))))


def _filtered(query: Select[Document, Record, Part], f: ReviewFilters) -> Select[Document, Record, Part]:
    query = query.where(*in_range(Document.created_at, f.uploaded_from, f.uploaded_to))
    if f.agency_code is not None:
        query = query.where(Document.agency_code == f.agency_code)
    if f.batch_id is not None:
        query = query.where(exists().where(BatchItem.batch_id == f.batch_id, BatchItem.document_id == Document.id))
    if f.reason == ReviewReason.LOW_CONFIDENCE:
        query = query.where(_flagged_in_part())
    elif f.reason == ReviewReason.UNCONFIRMED:
        query = query.where(Record.id.is_not(None))
    return query
