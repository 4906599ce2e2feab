"""The page pipeline end to end in-process: real Tesseract, real SQLite/PostgreSQL, real
SQLite FTS index. Each test names the behaviour it pins down."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from search import SearchQuery, open_backend
from sohoa.core.config import Settings
from sohoa.core.db import session_scope
from sohoa.core.models import Document, Page, StoredFile
from sohoa.core.vocab import DocumentStatus, IndexState, PageStatus
from sohoa.domain.vntext import nfc
from tests import filegen
from tests.integration import workers_support as ws
from workers.jobs.document import process_document
from workers.ocr.tesseract import OcrResult, TesseractTimeout, ocr_image


def load(sessions, document_id: str) -> tuple[Document, list[Page]]:
    with session_scope(sessions) as session:
        doc = session.get(Document, document_id)
        assert doc is not None
        pages = list(session.scalars(select(Page).where(Page.document_id == document_id).order_by(Page.number)))
        session.expunge_all()
        return doc, pages


def text(page: Page) -> str:
    """The text of a page the test expects to have been read."""
    assert page.text is not None, f"page {page.number} has no text"
    return page.text


def search_ids(settings: Settings, q: str) -> list[str]:
    backend = open_backend(settings)
    try:
        return [hit.document_id for hit in backend.search(SearchQuery(q=q)).hits]
    finally:
        backend.close()


def test_png_is_ocred_to_nfc_text_with_confidences_and_word_boxes(worker_settings, session_factory) -> None:
    doc_id = ws.add_document(worker_settings, session_factory, ws.png_bytes(ws.LINES[0]), "image/png", "a.png")
    process_document(doc_id)
    doc, pages = load(session_factory, doc_id)
    assert (doc.status, doc.index_state, doc.pages_total, doc.pages_done) == (
        DocumentStatus.INDEXED,
        IndexState.INDEXED,
        1,
        1,
    )
    page = pages[0]
    assert page.status == PageStatus.DONE and page.source == "ocr"
    assert "Nguyễn Thị Hồng Nhung" in text(page) and page.text == nfc(text(page))
    assert page.confidence is not None and 50 < page.confidence <= 100
    assert page.word_count is not None and page.word_count >= 10 and page.dpi == 300
    assert page.duration_ms is not None and page.duration_ms > 0
    assert page.words_path is not None
    words = json.loads(ws.archive_path(worker_settings, page.words_path).read_text("utf-8"))
    assert any(w["text"] == "Nhung" and w["conf"] > 0 for w in words["words"])
    with session_scope(session_factory) as session:
        stored = session.scalars(select(StoredFile).where(StoredFile.document_id == doc_id)).all()
        pdf_dir = page.words_path.rsplit("/", 1)[0]
        assert sorted((f.kind, f.path) for f in stored) == [
            ("page_pdf", f"{pdf_dir}/page-0001.pdf"),
            ("page_words", page.words_path),
            ("searchable_pdf", f"{pdf_dir}/searchable.pdf"),
        ]
    assert search_ids(worker_settings, "nguyen thi hong nhung") == [doc_id]


def test_multipage_tiff_reads_every_frame(worker_settings, session_factory) -> None:
    doc_id = ws.add_document(worker_settings, session_factory, ws.tiff_bytes(ws.LINES), "image/tiff", "t.tif")
    process_document(doc_id)
    doc, pages = load(session_factory, doc_id)
    assert (doc.status, doc.pages_total, doc.pages_done) == (DocumentStatus.INDEXED, 3, 3)
    assert "Đà Nẵng" in text(pages[1]) and "Trần Văn Đức" in text(pages[2])
    assert search_ids(worker_settings, "tran van duc") == [doc_id]


def test_pdf_text_layer_is_used_without_ocr(worker_settings, session_factory) -> None:
    def no_ocr(*args, **kwargs) -> OcrResult:
        raise AssertionError("a page with a real text layer must not be OCR'd")

    ws.install_jobs(worker_settings, ocr_engine=no_ocr)
    data = ws.text_pdf_bytes(ws.LINES[:2])
    doc_id = ws.add_document(worker_settings, session_factory, data, "application/pdf", "born.pdf")
    process_document(doc_id)
    doc, pages = load(session_factory, doc_id)
    assert doc.status == DocumentStatus.INDEXED
    assert [p.source for p in pages] == ["text_layer", "text_layer"]
    assert "Họ và tên: Nguyễn Thị Hồng Nhung" in text(pages[0])
    assert text(pages[1]).startswith("GIẤY KHAI SINH")


def test_image_pdf_page_is_rasterized_at_native_dpi(worker_settings, session_factory) -> None:
    data = ws.image_pdf_bytes([ws.LINES[2]])
    doc_id = ws.add_document(worker_settings, session_factory, data, "application/pdf", "scan.pdf")
    process_document(doc_id)
    doc, pages = load(session_factory, doc_id)
    assert doc.status == DocumentStatus.INDEXED and pages[0].source == "ocr" and pages[0].dpi == 300
    assert "Bến Nghé" in text(pages[0])


def test_owner_password_only_aes256_pdf_is_read_like_any_other(worker_settings, session_factory) -> None:
    """A scanner's "protected" PDF (AES-256, owner password only) opens for everyone: its
    scanned page is OCR'd, its born-digital page read from the text layer, the searchable PDF
    made (pypdf needs its crypto extra for AES; poppler and qpdf read it as is)."""
    scan = filegen.qpdf_encrypted(ws.image_pdf_bytes([ws.LINES[2]]))
    born = filegen.qpdf_encrypted(ws.text_pdf_bytes(ws.LINES[:1]))
    ids = [ws.add_document(worker_settings, session_factory, data, "application/pdf", name)
           for data, name in ((scan, "scan.pdf"), (born, "born.pdf"))]
    for doc_id in ids:
        process_document(doc_id)
    (scan_doc, scan_pages), (born_doc, born_pages) = (load(session_factory, i) for i in ids)
    assert (scan_doc.status, born_doc.status) == (DocumentStatus.INDEXED, DocumentStatus.INDEXED)
    assert scan_pages[0].source == "ocr" and "Bến Nghé" in text(scan_pages[0])
    assert born_pages[0].source == "text_layer" and "Nguyễn Thị Hồng Nhung" in text(born_pages[0])
    with session_scope(session_factory) as session:
        kinds = set(session.scalars(select(StoredFile.kind).where(StoredFile.document_id.in_(ids))))
    assert "searchable_pdf" in kinds
    assert search_ids(worker_settings, "ben nghe") == [ids[0]]


def failing_on_page_two(image: Path, **kwargs) -> OcrResult:
    """Fault injection in the OCRmyPDF tesseract_crash style: this engine dies on page 2."""
    if "page-0002" in image.name:
        raise TesseractTimeout("OCR took longer than 1 s")
    return ocr_image(image, **kwargs)


def test_one_failing_page_leaves_its_siblings_done(worker_settings, session_factory) -> None:
    ws.install_jobs(worker_settings, ocr_engine=failing_on_page_two)
    doc_id = ws.add_document(worker_settings, session_factory, ws.tiff_bytes(ws.LINES), "image/tiff", "t.tif")
    process_document(doc_id)
    doc, pages = load(session_factory, doc_id)
    assert (doc.status, doc.pages_done) == (DocumentStatus.INDEXED, 3)
    assert [p.status for p in pages] == [PageStatus.DONE, PageStatus.FAILED, PageStatus.DONE]
    assert (pages[1].error_code, pages[1].text) == ("page_timeout", None)
    assert search_ids(worker_settings, "tran van duc") == [doc_id]


def test_real_per_page_timeout_fails_the_page(worker_settings, session_factory) -> None:
    slow = worker_settings.model_copy(update={"page_timeout_seconds": 0.01})
    ws.install_jobs(slow)
    doc_id = ws.add_document(slow, session_factory, ws.png_bytes(ws.LINES[0]), "image/png", "a.png")
    process_document(doc_id)
    doc, pages = load(session_factory, doc_id)
    assert pages[0].status == PageStatus.FAILED and pages[0].error_code == "page_timeout"
    assert (doc.status, doc.error_code) == (DocumentStatus.FAILED, "page_timeout")


def test_pixel_limit_fails_the_page_with_image_too_large(worker_settings, session_factory) -> None:
    small = worker_settings.model_copy(update={"max_pixels_per_page": 100_000})
    ws.install_jobs(small)
    doc_id = ws.add_document(small, session_factory, ws.tiff_bytes(ws.LINES[:2]), "image/tiff", "big.tif")
    process_document(doc_id)
    doc, pages = load(session_factory, doc_id)
    assert [p.error_code for p in pages] == ["image_too_large", "image_too_large"]
    assert (doc.status, doc.error_code) == (DocumentStatus.FAILED, "image_too_large")


def test_pdf_pixel_limit_is_checked_before_rasterizing(worker_settings, session_factory) -> None:
    small = worker_settings.model_copy(update={"max_pixels_per_page": 100_000})
    ws.install_jobs(small)
    data = ws.image_pdf_bytes([ws.LINES[0]])
    doc_id = ws.add_document(small, session_factory, data, "application/pdf", "big.pdf")
    process_document(doc_id)
    _doc, pages = load(session_factory, doc_id)
    assert pages[0].error_code == "image_too_large"


def test_running_the_job_again_is_a_no_op(worker_settings, session_factory) -> None:
    calls: list[str] = []

    def counting(image: Path, **kwargs) -> OcrResult:
        calls.append(image.name)
        return ocr_image(image, **kwargs)

    ws.install_jobs(worker_settings, ocr_engine=counting)
    doc_id = ws.add_document(worker_settings, session_factory, ws.png_bytes(ws.LINES[1]), "image/png", "b.png")
    process_document(doc_id)
    process_document(doc_id)
    doc, _pages = load(session_factory, doc_id)
    assert len(calls) == 1 and doc.attempts == 1 and doc.status == DocumentStatus.INDEXED


def test_corrupt_original_fails_the_document_with_a_code(worker_settings, session_factory) -> None:
    doc_id = ws.add_document(worker_settings, session_factory, b"%PDF-1.4\nnot really", "application/pdf", "x.pdf")
    process_document(doc_id)
    doc, pages = load(session_factory, doc_id)
    assert (doc.status, doc.error_code, pages) == (DocumentStatus.FAILED, "corrupt_file", [])
