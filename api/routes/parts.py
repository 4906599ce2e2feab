"""Parts of a file: their files (officers, and portals for parts that are approved records,
with a purpose), and an officer's boundary changes (split, merge, move) with their history.

A change re-extracts only the parts whose pages changed, keeps every other part's record and
corrections, and re-indexes the document (the index carries the records' facets).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.deps import ArchiveDep, Caller, OfficerCaller, ReaderCaller, ServicesDep, SessionDep
from api.parts_view import history_public, parts_public
from api.schemas import DocumentPartsPublic, MergeParts, MovePart, SplitPart
from sohoa.core.errors import NotFound, ServiceUnavailable
from sohoa.core.models import Document, Part, Record
from sohoa.core.vocab import FileKind
from sohoa.domain import audit
from sohoa.domain.records import merge_parts, move_boundary, served_to_portals, split_part
from workers.jobs.indexing import index_document
from workers.jobs.part_files import part_file

router = APIRouter(prefix="/api/v1", tags=["parts"])
Index = Annotated[int, Path(ge=0, description="0-based index of the part in the file")]


def _part_for(session: Session, part_id: str, caller: Caller, *,
              serve_unconfirmed: bool) -> tuple[Part, Record | None]:
    """The part and its record; a portal only reaches parts whose record it may be served."""
    part = session.get(Part, part_id)
    record = session.scalar(select(Record).where(Record.part_id == part_id)) if part else None
    if part is None or (caller.role == "portal" and (
            record is None or not served_to_portals(session, [record], serve_unconfirmed=serve_unconfirmed))):
        raise NotFound(f"no part with id {part_id}", detail={"part_id": part_id})
    return part, record


def _send_part(session: Session, services: ServicesDep, archive: ArchiveDep, caller: Caller, part_id: str,
               kind: FileKind, action: str, request: Request) -> Response:
    part, record = _part_for(session, part_id, caller,
                             serve_unconfirmed=services.settings.portal_serves_unconfirmed)
    found = part_file(services, part.id, kind)
    etag = f'"{found.sha256}"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    path = archive.abspath(found.relpath)
    if not path.is_file():
        raise ServiceUnavailable("the part's file is missing from the archive", code="archive_unavailable",
                                 detail={"part_id": part.id})
    audit.record(session, caller.principal, action, target_type="part", target_id=part.id,
                 owner_id=record.owner_id if record else None, purpose=caller.purpose, result_count=1,
                 detail={"document_id": part.document_id, "pages": [part.first_page, part.last_page]})
    session.commit()
    return FileResponse(path, media_type=found.media_type, filename=found.filename,
                        headers={"ETag": etag, "Cache-Control": "private, max-age=3600"})


@router.get("/parts/{part_id}/original", summary="The part's pages of the original file",
            response_class=FileResponse, responses={200: {"content": {"application/octet-stream": {}}}})
async def get_part_original(part_id: str, caller: ReaderCaller, session: SessionDep, services: ServicesDep,
                            archive: ArchiveDep, request: Request) -> Response:
    """The whole original when the part is the whole file; else its pages (PDF pages as they
    are, TIFF frames losslessly), cut on first request and kept."""
    return await run_in_threadpool(_send_part, session, services, archive, caller, part_id,
                                   FileKind.PART_ORIGINAL, "part.download", request)


@router.get("/parts/{part_id}/searchable.pdf", summary="The part's pages of the searchable PDF",
            response_class=FileResponse, responses={200: {"content": {"application/pdf": {}}}})
async def get_part_pdf(part_id: str, caller: ReaderCaller, session: SessionDep, services: ServicesDep,
                       archive: ArchiveDep, request: Request) -> Response:
    """404 ``not_available`` until the document's searchable PDF is produced."""
    return await run_in_threadpool(_send_part, session, services, archive, caller, part_id,
                                   FileKind.PART_PDF, "part.download_pdf", request)


@router.get("/documents/{document_id}/parts", response_model=DocumentPartsPublic,
            summary="The parts of a file and the officers' changes to them")
def list_parts(document_id: str, caller: OfficerCaller, session: SessionDep) -> DocumentPartsPublic:
    if session.get(Document, document_id) is None:
        raise NotFound(f"no document with id {document_id}", detail={"document_id": document_id})
    return DocumentPartsPublic(document_id=document_id, parts=parts_public(session, document_id),
                               history=history_public(session, document_id))


async def _change(services: ServicesDep, session: Session, caller: Caller, document_id: str, action: str,
                  apply: Callable[[Session], object]) -> DocumentPartsPublic:
    def run() -> DocumentPartsPublic:
        if session.get(Document, document_id) is None:
            raise NotFound(f"no document with id {document_id}", detail={"document_id": document_id})
        apply(session)
        audit.record(session, caller.principal, f"parts.{action}", target_type="document", target_id=document_id,
                     purpose=caller.purpose, result_count=1)
        session.commit()
        return DocumentPartsPublic(document_id=document_id, parts=parts_public(session, document_id),
                                   history=history_public(session, document_id))

    body = await run_in_threadpool(run)
    await run_in_threadpool(index_document, services, document_id)
    return body


@router.post("/documents/{document_id}/parts/{index}/split", response_model=DocumentPartsPublic,
             summary="Split a part in two at a page")
async def split(document_id: str, index: Index, body: SplitPart, caller: OfficerCaller, session: SessionDep,
                services: ServicesDep) -> DocumentPartsPublic:
    return await _change(services, session, caller, document_id, "split", lambda s: split_part(
        s, document_id, index, body.at_page, who=caller.principal, note=body.note))


@router.post("/documents/{document_id}/parts/{index}/merge", response_model=DocumentPartsPublic,
             summary="Merge a part with the one after it")
async def merge(document_id: str, index: Index, body: MergeParts, caller: OfficerCaller, session: SessionDep,
                services: ServicesDep) -> DocumentPartsPublic:
    return await _change(services, session, caller, document_id, "merge", lambda s: merge_parts(
        s, document_id, index, who=caller.principal, note=body.note))


@router.post("/documents/{document_id}/parts/{index}/move", response_model=DocumentPartsPublic,
             summary="Move the first page of a part (the boundary with the part before it)")
async def move(document_id: str, index: Index, body: MovePart, caller: OfficerCaller, session: SessionDep,
               services: ServicesDep) -> DocumentPartsPublic:
    return await _change(services, session, caller, document_id, "move", lambda s: move_boundary(
        s, document_id, index, body.first_page, who=caller.principal, note=body.note))
