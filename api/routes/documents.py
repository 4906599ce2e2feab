"""Document metadata with per-page text (officers), the original bytes and the searchable PDF
(officers, and portals for documents that are records, with a purpose)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from api.access import filters_detail, load_for
from api.deps import ArchiveDep, OfficerCaller, ReaderCaller, ServicesDep, SessionDep
from api.downloads import clean_filename, etag_matches, send_archived
from api.params import IsoDate
from api.parts_view import parts_public
from api.schemas import DocumentPublic, ErrorInfo, PagePublic
from api.schemas_lists import DocumentLinks, DocumentListItemPublic, DocumentListPublic
from sohoa.core.errors import NotFound
from sohoa.core.models import BatchItem, Document, Page, Record, StoredFile
from sohoa.core.vocab import DocumentSort, DocumentStatus, FileKind, SortOrder
from sohoa.domain import audit
from sohoa.domain.catalog import MAX_OFFSET, MAX_PAGE_SIZE, DocumentFilters, DocumentRow, Paging, list_documents
from sohoa.domain.scope import Scope

ORIGINAL_TYPES = ("application/pdf", "image/tiff", "image/jpeg", "image/png")  # what ingest accepts

router = APIRouter(prefix="/api/v1/documents", tags=["documents"])


def _load(session: Session, document_id: str, *, with_pages: bool = False) -> Document:
    options = [selectinload(Document.pages)] if with_pages else []
    document = session.get(Document, document_id, options=options)
    if document is None:
        raise NotFound(f"no document with id {document_id}", detail={"document_id": document_id})
    return document


@router.get("", response_model=DocumentListPublic, summary="Documents with their record's display fields")
def list_documents_route(
    caller: OfficerCaller,
    session: SessionDep,
    batch_id: Annotated[str | None, Query(max_length=64)] = None,
    agency_code: Annotated[str | None, Query(max_length=64)] = None,
    procedure_code: Annotated[str | None, Query(max_length=64)] = None,
    doc_type: Annotated[str | None, Query(max_length=64)] = None,
    status: DocumentStatus | None = None,
    needs_review: Annotated[bool | None, Query(description="true: with pages below the OCR confidence "
                                                           "threshold; false: without")] = None,
    uploaded_from: Annotated[IsoDate | None, Query(description="Vietnam calendar day, inclusive")] = None,
    uploaded_to: Annotated[IsoDate | None, Query(description="Vietnam calendar day, inclusive")] = None,
    sort: DocumentSort = DocumentSort.UPLOADED_AT,
    order: SortOrder = SortOrder.DESC,
    page: Annotated[int, Query(ge=1, le=MAX_OFFSET)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> DocumentListPublic:
    """Scoped to the caller's agency when its key has one. Documents without an issue
    date sort last in both orders. Listing shows owners' names: one audit event per call."""
    filters = DocumentFilters(batch_id=batch_id, agency_code=agency_code, procedure_code=procedure_code,
                              doc_type=doc_type, status=status, needs_review=needs_review,
                              uploaded_from=uploaded_from, uploaded_to=uploaded_to)
    found = list_documents(session, filters, Paging(page, size), Scope.of(caller.principal), sort=sort, order=order)
    body = DocumentListPublic(total=found.total, page=page, size=size,
                              documents=[_list_item(row) for row in found.items])
    audit.record(session, caller.principal, "document.list", target_type="document", purpose=caller.purpose,
                 result_count=len(body.documents),
                 detail={"filters": filters_detail(filters),
                         "document_ids": [d.id for d in body.documents]})
    session.commit()
    return body


def _list_item(row: DocumentRow) -> DocumentListItemPublic:
    d, r = row.document, row.record
    base = f"/api/v1/documents/{d.id}"
    return DocumentListItemPublic(
        id=d.id, filename=d.filename, mime_type=d.mime_type, status=d.status,
        error=ErrorInfo(code=d.error_code or "failed", message=d.error_message or "")
        if d.status == DocumentStatus.FAILED else None,
        pages_total=d.pages_total, pages_done=d.pages_done, pages_needing_review=row.pages_needing_review,
        agency_code=d.agency_code, procedure_code=d.procedure_code, uploaded_at=d.created_at,
        batch_id=d.first_batch_id, record_id=r.id if r else None, doc_type=r.doc_type if r else None,
        owner_name=r.owner_name if r else None, doc_number=r.doc_number if r else None,
        issue_date=r.issue_date if r else None, review_state=r.review_state if r else None,
        links=DocumentLinks(self=base, thumbnail=f"{base}/pages/1/image?size=thumb" if d.pages_total else None),
    )


@router.get("/{document_id}", response_model=DocumentPublic, summary="Metadata, checksum and per-page text")
def get_document(document_id: str, caller: OfficerCaller, session: SessionDep) -> DocumentPublic:
    document = _load(session, document_id, with_pages=True)
    batch_ids = list(session.scalars(
        select(BatchItem.batch_id).where(BatchItem.document_id == document.id)
        .group_by(BatchItem.batch_id).order_by(BatchItem.batch_id)
    ))
    public = DocumentPublic(
        id=document.id, filename=document.filename, sha256=document.sha256, size_bytes=document.size_bytes,
        mime_type=document.mime_type, status=document.status,
        error=ErrorInfo(code=document.error_code or "failed", message=document.error_message or "")
        if document.status == DocumentStatus.FAILED else None,
        index_state=document.index_state, index_error=document.index_error,
        pages_total=document.pages_total, pages_done=document.pages_done,
        pages_needing_review=sum(1 for p in document.pages if p.needs_review),
        agency_code=document.agency_code, procedure_code=document.procedure_code,
        created_at=document.created_at, updated_at=document.updated_at,
        processed_at=document.processed_at, indexed_at=document.indexed_at,
        batch_ids=batch_ids, parts=parts_public(session, document.id), pages=[_page_public(p) for p in document.pages],
    )
    audit.record(session, caller.principal, "document.read", target_type="document", target_id=document.id,
                 owner_id=_owner(session, document.id), purpose=caller.purpose, result_count=1)
    session.commit()
    return public


def _owner(session: Session, document_id: str) -> str | None:
    """The owner of the file's first record (the audit event names one person)."""
    return session.scalar(select(Record.owner_id).where(Record.document_id == document_id)
                          .order_by(Record.owner_id.is_(None), Record.created_at, Record.id).limit(1))


def _page_public(page: Page) -> PagePublic:
    error = ErrorInfo(code=page.error_code, message=page.error_message or "") if page.error_code else None
    return PagePublic(
        number=page.number, text=page.text, confidence=page.confidence, status=page.status,
        source=page.source, needs_review=page.needs_review, word_count=page.word_count,
        width=page.width, height=page.height, dpi=page.dpi, rotation=page.rotation, error=error,
    )


@router.get("/{document_id}/original", summary="The original file, byte for byte",
            response_class=FileResponse, responses={200: {"content": {
                t: {"schema": {"type": "string", "format": "binary"}} for t in ORIGINAL_TYPES}}})
def get_original(document_id: str, caller: ReaderCaller, session: SessionDep, archive: ArchiveDep,
                 services: ServicesDep, request: Request) -> Response:
    document, owner = load_for(session, document_id, caller,
                               serve_unconfirmed=services.settings.portal_serves_unconfirmed)
    etag = f'"{document.sha256}"'
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers={"ETag": etag})
    return send_archived(session, caller, archive, document, owner, document.original_path,
                         action="document.download", what="the original", etag=etag,
                         media_type=document.mime_type, filename=document.filename)


@router.get("/{document_id}/searchable.pdf", summary="The searchable PDF (scan with a text layer)",
            response_class=FileResponse, responses={200: {"content": {"application/pdf": {}}}})
def get_searchable_pdf(document_id: str, caller: ReaderCaller, session: SessionDep,
                       archive: ArchiveDep, services: ServicesDep) -> Response:
    """404 ``not_available`` until the worker has produced it."""
    document, owner = load_for(session, document_id, caller,
                               serve_unconfirmed=services.settings.portal_serves_unconfirmed)
    stored = session.scalar(select(StoredFile).where(
        StoredFile.document_id == document.id, StoredFile.kind == FileKind.SEARCHABLE_PDF)
        .order_by(StoredFile.created_at.desc(), StoredFile.id.desc()).limit(1))
    if stored is None:
        raise NotFound("the searchable PDF has not been produced yet", code="not_available",
                       detail={"document_id": document.id})
    name = clean_filename(document.filename, document.id)
    stem = name.rsplit(".", 1)[0] if "." in name.strip(".") else name
    return send_archived(session, caller, archive, document, owner, stored.path,
                         action="document.download_pdf", what="the searchable PDF",
                         etag=f'"{stored.sha256}"', media_type="application/pdf", filename=f"{stem}.pdf")
