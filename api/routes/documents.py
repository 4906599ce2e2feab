"""Document metadata with per-page text (officers), the original bytes and the searchable PDF
(officers, and portals for documents that are records, with a purpose)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from api.deps import ArchiveDep, Caller, OfficerCaller, ReaderCaller, SessionDep
from api.schemas import DocumentPublic, ErrorInfo, PagePublic
from sohoa.core.errors import NotFound, ServiceUnavailable
from sohoa.core.models import BatchItem, Document, Page, Record, StoredFile
from sohoa.core.vocab import DocumentStatus
from sohoa.domain import audit
from sohoa.storage.archive import ArchiveStore

router = APIRouter(prefix="/api/v1/documents", tags=["documents"])


def _load(session: Session, document_id: str, *, with_pages: bool = False) -> Document:
    options = [selectinload(Document.pages)] if with_pages else []
    document = session.get(Document, document_id, options=options)
    if document is None:
        raise NotFound(f"no document with id {document_id}", detail={"document_id": document_id})
    return document


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
        batch_ids=batch_ids, pages=[_page_public(p) for p in document.pages],
    )
    audit.record(session, caller.key, "document.read", target_type="document", target_id=document.id,
                 owner_id=_owner(session, document.id), purpose=caller.purpose, result_count=1)
    session.commit()
    return public


def _owner(session: Session, document_id: str) -> str | None:
    return session.scalar(select(Record.owner_id).where(Record.document_id == document_id))


def _load_for(session: Session, document_id: str, caller: Caller) -> tuple[Document, str | None]:
    """The document and its record's owner; a portal only reaches documents that are records."""
    document = _load(session, document_id)
    record = session.scalar(select(Record).where(Record.document_id == document_id))
    if caller.role == "portal" and (record is None or not record.approved):
        raise NotFound(f"no document with id {document_id}", detail={"document_id": document_id})
    return document, record.owner_id if record else None


def _page_public(page: Page) -> PagePublic:
    error = ErrorInfo(code=page.error_code, message=page.error_message or "") if page.error_code else None
    return PagePublic(
        number=page.number, text=page.text, confidence=page.confidence, status=page.status,
        source=page.source, needs_review=page.needs_review, word_count=page.word_count,
        width=page.width, height=page.height, dpi=page.dpi, rotation=page.rotation, error=error,
    )


@router.get("/{document_id}/original", summary="The original file, byte for byte",
            response_class=FileResponse, responses={200: {"content": {"application/octet-stream": {}}}})
def get_original(document_id: str, caller: ReaderCaller, session: SessionDep, archive: ArchiveDep,
                 request: Request) -> Response:
    document, owner = _load_for(session, document_id, caller)
    etag = f'"{document.sha256}"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return _send_archived(session, caller, archive, document, owner, document.original_path,
                          action="document.download", what="the original", etag=etag,
                          media_type=document.mime_type, filename=document.filename)


@router.get("/{document_id}/searchable.pdf", summary="The searchable PDF (scan with a text layer)",
            response_class=FileResponse, responses={200: {"content": {"application/pdf": {}}}})
def get_searchable_pdf(document_id: str, caller: ReaderCaller, session: SessionDep,
                       archive: ArchiveDep) -> Response:
    """404 ``not_available`` until the worker has produced it."""
    document, owner = _load_for(session, document_id, caller)
    stored = session.scalar(select(StoredFile).where(
        StoredFile.document_id == document.id, StoredFile.kind == "searchable_pdf")
        .order_by(StoredFile.created_at.desc(), StoredFile.id.desc()).limit(1))
    if stored is None:
        raise NotFound("the searchable PDF has not been produced yet", code="not_available",
                       detail={"document_id": document.id})
    stem = document.filename.rsplit(".", 1)[0] or document.id
    return _send_archived(session, caller, archive, document, owner, stored.path,
                          action="document.download_pdf", what="the searchable PDF",
                          etag=f'"{stored.sha256}"', media_type="application/pdf", filename=f"{stem}.pdf")


def _send_archived(session: Session, caller: Caller, archive: ArchiveStore, document: Document,
                   owner: str | None, relpath: str, *, action: str, what: str, etag: str,
                   media_type: str, filename: str) -> Response:
    """Stream an archived file, after writing the read to the audit log (one event per read)."""
    path = archive.abspath(relpath)
    if not path.is_file():
        raise ServiceUnavailable(f"{what} is missing from the archive", code="archive_unavailable",
                                 detail={"document_id": document.id})
    audit.record(session, caller.key, action, target_type="document", target_id=document.id,
                 owner_id=owner, purpose=caller.purpose, result_count=1)
    session.commit()
    return FileResponse(path, media_type=media_type, filename=filename,
                        headers={"ETag": etag, "Cache-Control": "private, max-age=3600"})
