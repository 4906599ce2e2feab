"""The files of one part: its pages of the original and of the searchable PDF.

A part that is the whole file is served from the file itself. Any other is cut on first
request (``workers.ocr.cut``) and kept in the archive as a derived file with its checksum
(``stored_files``, so fixity covers it), named by page range: the next request, or another
part over the same pages after an officer's edit, is served from there. A cut searchable
PDF older than the document's current searchable PDF is cut again.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sohoa.core.clock import utcnow
from sohoa.core.db import session_scope
from sohoa.core.errors import NotFound
from sohoa.core.models import Document, Part, StoredFile
from sohoa.core.vocab import FileKind
from sohoa.services import Services
from workers.ocr.cut import cut_frames, cut_pdf


@dataclass(frozen=True)
class PartFile:
    relpath: str
    sha256: str
    media_type: str
    filename: str


def part_file(services: Services, part_id: str, kind: FileKind) -> PartFile:
    """The part's original pages (``PART_ORIGINAL``) or searchable PDF pages (``PART_PDF``)."""
    with session_scope(services.sessions) as session:
        part = session.get(Part, part_id)
        if part is None:
            raise NotFound(f"no part with id {part_id}", detail={"part_id": part_id})
        document = session.get(Document, part.document_id)
        assert document is not None
        whole = part.first_page == 1 and part.last_page >= document.pages_total
        source = _source(session, document, kind)
        stem = document.filename.rsplit(".", 1)[0] or document.id
        first, last, doc_id = part.first_page, part.last_page, document.id
        mime = document.mime_type
    if kind == FileKind.PART_PDF or mime == "application/pdf":
        ext, media = "pdf", "application/pdf"
    else:
        ext, media = ("tiff", "image/tiff") if not whole else (document_ext(mime), mime)
    name = f"{stem}-p{first}-{last}.{ext}"
    if whole:
        return PartFile(source.path, source.sha256, media if kind == FileKind.PART_ORIGINAL else "application/pdf",
                        name)
    cut = _cached(services, doc_id, kind, first, last, ext, source)
    return PartFile(cut.path, cut.sha256, media, name)


def document_ext(mime: str) -> str:
    return {"image/jpeg": "jpg", "image/png": "png", "image/tiff": "tiff"}.get(mime, "bin")


def _source(session: Session, document: Document, kind: FileKind) -> StoredFile:
    """The file the part is cut from: the original, or the newest searchable PDF."""
    wanted = FileKind.ORIGINAL if kind == FileKind.PART_ORIGINAL else FileKind.SEARCHABLE_PDF
    stored = session.scalar(select(StoredFile).where(StoredFile.document_id == document.id, StoredFile.kind == wanted)
                            .order_by(StoredFile.created_at.desc(), StoredFile.id.desc()).limit(1))
    if stored is None and wanted == FileKind.ORIGINAL:  # documents stored before originals had a row
        return StoredFile(document_id=document.id, kind=wanted, path=document.original_path, sha256=document.sha256,
                          size_bytes=document.size_bytes)
    if stored is None:
        raise NotFound("the searchable PDF has not been produced yet", code="not_available",
                       detail={"document_id": document.id})
    return stored


def _cached(services: Services, document_id: str, kind: FileKind, first: int, last: int, ext: str,
            source: StoredFile) -> StoredFile:
    name = f"part-{first:04d}-{last:04d}{'-searchable' if kind == FileKind.PART_PDF else ''}.{ext}"
    with session_scope(services.sessions) as session:
        row = session.scalar(select(StoredFile).where(StoredFile.document_id == document_id, StoredFile.kind == kind,
                                                      StoredFile.path.endswith("/" + name)))
        fresh = row is not None and services.archive.abspath(row.path).is_file() and (
            kind == FileKind.PART_ORIGINAL or row.created_at >= source.created_at)
        if row is not None and fresh:
            session.expunge(row)
            return row
    with tempfile.TemporaryDirectory(prefix="sohoa-part-") as tmp:
        out = Path(tmp) / name
        src = services.archive.abspath(source.path)
        if ext == "pdf":
            cut_pdf(src, first, last, out)
        else:
            cut_frames(src, first, last, out)
        stored = services.archive.put_derived_file(document_id, name, out)
    return _remember(services, document_id, kind, stored.path, stored.sha256, stored.size_bytes)


def _remember(services: Services, document_id: str, kind: FileKind, path: str, sha256: str, size: int) -> StoredFile:
    for _ in range(2):  # a concurrent request may have stored the same cut: then update its row
        try:
            with session_scope(services.sessions) as session:
                row = session.scalar(select(StoredFile).where(StoredFile.document_id == document_id,
                                                              StoredFile.kind == kind, StoredFile.path == path))
                if row is None:
                    row = StoredFile(document_id=document_id, kind=kind, path=path, sha256=sha256, size_bytes=size)
                    session.add(row)
                else:
                    row.sha256, row.size_bytes, row.created_at = sha256, size, utcnow()
                session.flush()
                session.expunge(row)
                return row
        except IntegrityError:
            continue
    raise NotFound("the part's file could not be stored", code="archive_unavailable")
