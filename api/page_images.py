"""What the API adds to the page renderer (``workers.ocr.page_image``): which page, its
geometry from its database row, and the cache of rendered images in the archive.

A rendered image is a derived file like any other: written atomically under the document's
derived folder, its SHA-256 and size in ``stored_files`` (kind ``page_image``), so it is
served again without rendering and its checksum is the ETag. Its name carries everything
its pixels depend on (page, width, format, the page's rotation, skew and size, and
``RENDER_VERSION``): a page read again with another rotation gets a new image, never a
stale one.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sohoa.core.errors import Conflict, NotFound
from sohoa.core.models import Document, Page, StoredFile
from sohoa.core.vocab import FileKind, ImageFormat, PageStatus, TextSource
from sohoa.storage.archive import ArchiveStore
from workers.ocr.page_image import EXTENSIONS, RENDER_VERSION, PageGeometry, PageRenderer


def get_renderer(request: Request) -> PageRenderer:
    """The app's renderer, built once in its lifespan (``api.app.create_app``)."""
    renderer: PageRenderer = request.app.state.page_renderer
    return renderer


RendererDep = Annotated[PageRenderer, Depends(get_renderer)]


def load_page(session: Session, document: Document, number: int) -> Page:
    """The page row; 404 ``page_not_found`` beyond the document, 409 ``page_not_ready``
    while the page waits for the OCR (its orientation is not known yet)."""
    page = session.scalar(select(Page).where(Page.document_id == document.id, Page.number == number))
    if page is None and number > document.pages_total:
        raise NotFound(f"document {document.id} has no page {number}", code="page_not_found",
                       detail={"document_id": document.id, "page": number, "pages_total": document.pages_total})
    if page is None or page.status == PageStatus.PENDING:
        raise Conflict(f"page {number} has not been read yet; try again when the document is processed",
                       code="page_not_ready", detail={"document_id": document.id, "page": number})
    return page


def geometry_of(page: Page) -> PageGeometry:
    """The page as the OCR read it; a page without OCR (text layer, failed) has no sizes and
    is shown as stored."""
    read = page.source == TextSource.OCR and bool(page.width and page.height)
    return PageGeometry(number=page.number, width=page.width if read else None,
                        height=page.height if read else None, rotation=(page.rotation or 0) if read else 0,
                        skew=page.skew if read else None)


def cache_name(geometry: PageGeometry, width: int, fmt: ImageFormat) -> str:
    key = f"{RENDER_VERSION}:{geometry.rotation}:{geometry.skew or 0:.2f}:{geometry.width}x{geometry.height}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return f"page-{geometry.number:04d}.image-{width}-{digest}.{EXTENSIONS[fmt]}"


def cached(session: Session, archive: ArchiveStore, document_id: str, name: str) -> StoredFile | None:
    """The stored image of that name, if its row and its file are both there."""
    row = session.scalar(select(StoredFile).where(
        StoredFile.document_id == document_id, StoredFile.kind == FileKind.PAGE_IMAGE,
        StoredFile.path == archive.derived_relpath(document_id, name)))
    if row is None or not archive.abspath(row.path).is_file():
        return None
    return row


def store(session: Session, archive: ArchiveStore, document_id: str, name: str, data: bytes) -> StoredFile:
    """Write the image and its row (another request that rendered it meanwhile wrote the
    same name: its row is kept, the file is replaced by identical pixels)."""
    info = archive.put_derived(document_id, name, data)
    row = session.scalar(select(StoredFile).where(
        StoredFile.document_id == document_id, StoredFile.kind == FileKind.PAGE_IMAGE, StoredFile.path == info.path))
    if row is None:
        row = StoredFile(document_id=document_id, kind=FileKind.PAGE_IMAGE, path=info.path,
                         sha256=info.sha256, size_bytes=info.size_bytes)
        session.add(row)
    else:
        row.sha256, row.size_bytes = info.sha256, info.size_bytes
    try:
        session.commit()
    except IntegrityError:  # the other request's row won the insert
        session.rollback()
        row = session.scalars(select(StoredFile).where(
            StoredFile.document_id == document_id, StoredFile.kind == FileKind.PAGE_IMAGE,
            StoredFile.path == info.path)).one()
        row.sha256, row.size_bytes = info.sha256, info.size_bytes
        session.commit()
    return row
