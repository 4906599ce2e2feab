"""Damaged pixel data in a file of full length passes the upload check (which no longer
decodes TIFF or PNG pixels, so the first OCR job starts sooner) and fails in the worker,
as a page-level error of the page concerned; its sibling pages are still read."""

from __future__ import annotations

import io

from sqlalchemy import select

from ingest import BatchMeta, ingest_paths
from sohoa.core.db import session_scope
from sohoa.core.models import Document, Page
from sohoa.core.vocab import DocumentStatus, PageStatus
from sohoa.storage.archive import ArchiveStore
from tests import filegen
from tests.integration import workers_support as ws
from workers.jobs.document import process_document


def ingest_and_process(tmp_path, settings, sessions, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    outcome = ingest_paths(
        settings, sessions, ArchiveStore(settings.archive_root), [path], BatchMeta(), enqueue=lambda _d: None
    )
    doc_id = outcome.files[0].document_id
    assert doc_id is not None, outcome.files[0].error  # accepted at upload
    process_document(doc_id)
    with session_scope(sessions) as session:
        doc = session.get(Document, doc_id)
        assert doc is not None
        pages = [
            (p.number, p.status, p.error_code)
            for p in session.scalars(select(Page).where(Page.document_id == doc_id).order_by(Page.number))
        ]
        return (doc.status, doc.error_code), pages


def test_a_tiff_page_that_does_not_decompress_fails_alone_in_the_worker(tmp_path, worker_settings, session_factory):
    frames = [ws.page_image(ws.LINES[0]), ws.page_image(ws.LINES[1])]
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate", dpi=(300, 300))
    doc, pages = ingest_and_process(
        tmp_path, worker_settings, session_factory, "scan.tif", filegen.with_junk_page_data(buf.getvalue(), 2)
    )
    assert doc == (DocumentStatus.INDEXED, None)
    assert pages == [(1, PageStatus.DONE, None), (2, PageStatus.FAILED, "corrupt_file")]


def test_a_png_whose_intact_chunks_hold_a_broken_stream_fails_in_the_worker(tmp_path, worker_settings, session_factory):
    doc, pages = ingest_and_process(
        tmp_path, worker_settings, session_factory, "scan.png", filegen.png_with_junk_data(ws.png_bytes(ws.LINES[0]))
    )
    assert doc == (DocumentStatus.FAILED, "corrupt_file")
    assert pages == [(1, PageStatus.FAILED, "corrupt_file")]
