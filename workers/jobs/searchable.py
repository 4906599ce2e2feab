"""Publishing a document's searchable PDF: which page comes from where, read from the
database; the merge itself is the page pipeline's (``workers.ocr.searchable_pdf``).

Page PDFs are stored per page in the archive as the pages finish (``page-NNNN.pdf``), so a
resumed job merges without OCR'ing again.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from sqlalchemy import bindparam, select

from sohoa.core.clock import utcnow
from sohoa.core.db import session_scope
from sohoa.core.models import Document, Page, StoredFile, table_of
from sohoa.core.vocab import FileKind, PageStatus, TextSource
from sohoa.storage.archive import StoredInfo
from workers.jobs.context import JobContext
from workers.jobs.stored_rows import store_file_rows
from workers.ocr.searchable_pdf import SEARCHABLE_PDF_NAME, PagePart, build_searchable_pdf, page_pdf_name

log = logging.getLogger(__name__)

# Read with statements built once, as rows (no ORM objects): once per finished document.
_DOCUMENTS, _PAGES, _FILES = table_of(Document), table_of(Page), table_of(StoredFile)
_DOCUMENT = select(_DOCUMENTS.c.original_path, _DOCUMENTS.c.mime_type, _DOCUMENTS.c.filename).where(
    _DOCUMENTS.c.id == bindparam("document"))
_PAGES_OF = (select(_PAGES.c.number, _PAGES.c.status, _PAGES.c.source, _PAGES.c.processed_at)
             .where(_PAGES.c.document_id == bindparam("document")).order_by(_PAGES.c.number))
_PDFS_OF = select(_FILES.c.kind, _FILES.c.path, _FILES.c.created_at).where(
    _FILES.c.document_id == bindparam("document"), _FILES.c.kind.in_((FileKind.PAGE_PDF, FileKind.SEARCHABLE_PDF)))


def publish_searchable_pdf(ctx: JobContext, document_id: str) -> StoredInfo | None:
    """Merge and store the document's searchable PDF unless the stored one is up to date.

    Up to date = stored after every page was last processed, so re-running a finished job
    (resume, RQ redelivery) neither rebuilds it nor adds a StoredFile row.
    """
    key = {"document": document_id}
    with session_scope(ctx.sessions) as session:
        doc = session.execute(_DOCUMENT, key).first()
        assert doc is not None
        pages = session.execute(_PAGES_OF, key).all()
        files = session.execute(_PDFS_OF, key).all()
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
        store_file_rows(session, document_id, [(FileKind.SEARCHABLE_PDF, stored)], utcnow())
    return stored


def _page_pdf(number: int, status: str, source: str | None, page_pdfs: dict[str, Path]) -> Path | None:
    if status != PageStatus.DONE or source != TextSource.OCR:
        return None
    path = page_pdfs.get(page_pdf_name(number))
    if path is None or not path.is_file():
        log.warning("page %d: no page PDF in the archive, using the original page", number)
        return None
    return path
