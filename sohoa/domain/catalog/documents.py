"""Documents with what a list shows of them (their record's owner, type, number, date):
one query for the page of documents joined to their records, one for their flagged pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, Select, UnaryExpression, exists, func, select
from sqlalchemy.orm import Session

from sohoa.core.models import BatchItem, Document, Page, Part, Record
from sohoa.core.vocab import DocumentSort, SortOrder
from sohoa.domain.catalog._common import ListPage, Paging, Scope, count_of, in_range, scoped


@dataclass(frozen=True)
class DocumentFilters:
    batch_id: str | None = None
    agency_code: str | None = None
    procedure_code: str | None = None  # the code given at upload
    doc_type: str | None = None  # from the record
    status: str | None = None
    needs_review: bool | None = None  # has (or has not) pages below the confidence threshold
    uploaded_from: date | None = None  # Vietnam calendar days, inclusive
    uploaded_to: date | None = None


@dataclass(frozen=True)
class DocumentRow:
    document: Document
    record: Record | None
    pages_needing_review: int


def flagged_pages() -> ColumnElement[bool]:
    """The document has at least one page flagged for review."""
    return exists().where(Page.document_id == Document.id, Page.needs_review.is_(True))


def first_record_id() -> ScalarSelect[str]:
    """The record of the document's first part (a file of several documents is listed once,
    shown by its first document; the others are in its ``parts``)."""
    return (select(Record.id).outerjoin(Part, Part.id == Record.part_id).where(Record.document_id == Document.id)
            .order_by(Part.position.is_(None), Part.position, Record.id).limit(1).correlate(Document)
            .scalar_subquery())


def list_documents(session: Session, filters: DocumentFilters, paging: Paging, scope: Scope, *,
                   sort: DocumentSort = DocumentSort.UPLOADED_AT,
                   order: SortOrder = SortOrder.DESC) -> ListPage[DocumentRow]:
    query = _filtered(select(Document, Record).outerjoin(Record, Record.id == first_record_id()), filters)
    query = query.where(scoped(Document.agency_code, scope))
    total = count_of(session, query)
    rows = session.execute(query.order_by(*_order(sort, order)).limit(paging.size).offset(paging.offset)).all()
    review = review_counts(session, [d.id for d, _ in rows])
    return ListPage(total=total, items=[DocumentRow(d, r, review.get(d.id, 0)) for d, r in rows])


def _filtered(query: Select[Document, Record], f: DocumentFilters) -> Select[Document, Record]:
    query = query.where(*in_range(Document.created_at, f.uploaded_from, f.uploaded_to))
    for column, value in ((Document.agency_code, f.agency_code), (Document.procedure_code, f.procedure_code),
                          (Document.status, f.status), (Record.doc_type, f.doc_type)):
        if value is not None:
            query = query.where(column == value)
    if f.batch_id is not None:
        query = query.where(exists().where(BatchItem.batch_id == f.batch_id, BatchItem.document_id == Document.id))
    if f.needs_review is True:
        query = query.where(flagged_pages())
    elif f.needs_review is False:
        query = query.where(~flagged_pages())
    return query


def _order(sort: DocumentSort, order: SortOrder) -> list[UnaryExpression[Any]]:
    """The sort key, then the document id, so pages never overlap; documents without an
    issue date come last either way (the same on SQLite and PostgreSQL)."""
    column = {DocumentSort.UPLOADED_AT: Document.created_at, DocumentSort.ISSUE_DATE: Record.issue_date,
              DocumentSort.FILENAME: Document.filename}[sort]
    if order == SortOrder.ASC:
        return [column.asc().nulls_last(), Document.id.asc()]
    return [column.desc().nulls_last(), Document.id.desc()]


def review_counts(session: Session, document_ids: list[str]) -> dict[str, int]:
    """Flagged pages per document, in one grouped query."""
    if not document_ids:
        return {}
    rows = session.execute(
        select(Page.document_id, func.count()).where(Page.document_id.in_(document_ids), Page.needs_review.is_(True))
        .group_by(Page.document_id))
    return {document_id: count for document_id, count in rows}  # noqa: C416 - rows are Row objects
