"""Publishing a document's searchable PDF: which page comes from where, read from the
database; the merge itself is the page pipeline's (``workers.ocr.searchable_pdf``).

Page PDFs are stored per page in the archive as the pages finish (``page-NNNN.pdf``), so a
resumed job merges without OCR'ing again.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from sqlalchemy import select

from sohoa.core.clock import utcnow
from sohoa.core.db import session_scope
from sohoa.core.models import Document, Page, StoredFile
from sohoa.core.vocab import FileKind, PageStatus, TextSource
from sohoa.storage.archive import StoredInfo
from workers.jobs.context import JobContext
from workers.ocr.searchable_pdf import SEARCHABLE_PDF_NAME, PagePart, build_searchable_pdf, page_pdf_name

log = logging.getLogger(__name__)


def publish_searchable_pdf(ctx: JobContext, document_id: str) -> StoredInfo | None:
    """Merge and store the document's searchable PDF unless the stored one is up to date.

    Up to date = stored after every page was last processed, so re-running a finished job
    (resume, RQ redelivery) neither rebuilds it nor adds a StoredFile row.
    """
    with session_scope(ctx.sessions) as session:
        doc = session.get(Document, document_id)
        assert doc is not None
        pages = session.execute(select(Page.number, Page.status, Page.source, Page.processed_at)
                                .where(Page.document_id == document_id).order_by(Page.number)).all()
        files = session.execute(select(StoredFile.kind, StoredFile.path, StoredFile.created_at)
                                .where(StoredFile.document_id == document_id,
                                       StoredFile.kind.in_((FileKind.PAGE_PDF, FileKind.SEARCHABLE_PDF)))).all()
        original, mime, title = ctx.archive.abspath(doc.original_path), doc.mime_type, doc.filename
    current = [f for f in files if f.kind == FileKind.SEARCHABLE_PDF]
    latest_page = max((p.processed_at for p in pages if p.processed_at), default=None)
    if current and ctx.archive.abspath(current[0].path).is_file() and latest_page is not None \
            and current[0].created_at >= latest_page:
        return None
    page_pdfs = {Path(f.path).name: ctx.archive.abspath(f.path) for f in files if f.kind == FileKind.PAGE_PDF}
    parts = [PagePart(p.number, _page_pdf(p.number, p.status, p.source, page_pdfs)) for p in pages]
    with tempfile.TemporaryDirectory(prefix="sohoa-pdf-") as tmp:
        out = Path(tmp) / SEARCHABLE_PDF_NAME
        build_searchable_pdf(parts, original, mime, out, workdir=Path(tmp), title=title,
                             max_pixels=ctx.settings.max_pixels_per_page)
        stored = ctx.archive.put_derived_file(document_id, SEARCHABLE_PDF_NAME, out)
    with session_scope(ctx.sessions) as session:
        row = session.scalars(select(StoredFile).where(
            StoredFile.document_id == document_id, StoredFile.kind == FileKind.SEARCHABLE_PDF,
            StoredFile.path == stored.path)).first()
        if row is None:
            session.add(StoredFile(document_id=document_id, kind=FileKind.SEARCHABLE_PDF, path=stored.path,
                                   sha256=stored.sha256, size_bytes=stored.size_bytes))
        else:
            row.sha256, row.size_bytes, row.created_at = stored.sha256, stored.size_bytes, utcnow()
    return stored


def _page_pdf(number: int, status: str, source: str | None, page_pdfs: dict[str, Path]) -> Path | None:
    if status != PageStatus.DONE or source != TextSource.OCR:
        return None
    path = page_pdfs.get(page_pdf_name(number))
    if path is None or not path.is_file():
        log.warning("page %d: no page PDF in the archive, using the original page", number)
        return None
    return path
