"""The searchable PDF and the review flags, end to end in-process: real Tesseract, qpdf,
pdftotext, SQLite/PostgreSQL, and the real API for the download and the review counts."""

from __future__ import annotations

import hashlib
import io
import random
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageFilter
from sqlalchemy import select, update

from sohoa.core.config import Settings
from sohoa.core.db import session_scope
from sohoa.core.models import Document, Page, StoredFile
from sohoa.core.vocab import DocumentStatus, IndexState, PageStatus
from tests.integration import workers_support as ws
from workers.jobs.document import process_document
from workers.ocr.searchable_pdf import PagePart, SearchablePdfError, build_searchable_pdf, qpdf_merge
from workers.ocr.tesseract import OcrResult, ocr_image


def stored_files(sessions, document_id: str, kind: str) -> list[StoredFile]:
    with session_scope(sessions) as session:
        rows = list(session.scalars(select(StoredFile).where(
            StoredFile.document_id == document_id, StoredFile.kind == kind).order_by(StoredFile.path)))
        session.expunge_all()
        return rows


def searchable_pdf(settings: Settings, sessions, document_id: str) -> Path:
    [row] = stored_files(sessions, document_id, "searchable_pdf")
    path = ws.archive_path(settings, row.path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == row.sha256 and path.stat().st_size == row.size_bytes
    return path


def page_text(pdf: Path, number: int) -> str:
    return subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), "-enc", "UTF-8", str(pdf), "-"],
                          check=True, capture_output=True).stdout.decode("utf-8")


def image_count(page: pikepdf.Page) -> int:
    return sum(1 for x in page.Resources.get("/XObject", {}).values() if x.Subtype == "/Image")


def original_unchanged(settings: Settings, sessions, document_id: str, data: bytes) -> None:
    with session_scope(sessions) as session:
        doc = session.get(Document, document_id)
        assert doc is not None
        path, sha = ws.archive_path(settings, doc.original_path), doc.sha256
    assert path.read_bytes() == data and hashlib.sha256(path.read_bytes()).hexdigest() == sha


def test_png_gets_a_searchable_pdf_with_its_ocr_text_and_pdfa_marks(worker_settings, session_factory) -> None:
    data = ws.png_bytes(ws.LINES[0])
    doc_id = ws.add_document(worker_settings, session_factory, data, "image/png", "khai-sinh.png")
    process_document(doc_id)
    pdf = searchable_pdf(worker_settings, session_factory, doc_id)
    text = page_text(pdf, 1)
    assert "Nguyễn" in text and "CỘNG HÒA" in text
    with pikepdf.open(pdf) as doc:
        assert len(doc.pages) == 1
        assert image_count(doc.pages[0]) == 1  # the scan itself, under the invisible text
        meta = doc.open_metadata()
        assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("2", "B")
        assert meta["dc:title"] == "khai-sinh.png"
        intent = doc.Root.OutputIntents[0]
        assert intent.S == "/GTS_PDFA1" and int(intent.DestOutputProfile.N) == 3
    original_unchanged(worker_settings, session_factory, doc_id, data)
    [page_pdf] = stored_files(session_factory, doc_id, "page_pdf")
    assert page_pdf.path.endswith("/page-0001.pdf")


def test_multipage_tiff_pdf_keeps_page_count_and_order(worker_settings, session_factory) -> None:
    data = ws.tiff_bytes(ws.LINES)
    doc_id = ws.add_document(worker_settings, session_factory, data, "image/tiff", "hoso.tif")
    process_document(doc_id)
    pdf = searchable_pdf(worker_settings, session_factory, doc_id)
    with pikepdf.open(pdf) as doc:
        assert len(doc.pages) == 3
    assert "Nguyễn Thị Hồng Nhung" in page_text(pdf, 1)
    assert "Đà Nẵng" in page_text(pdf, 2)
    assert "Trần Văn Đức" in page_text(pdf, 3)
    original_unchanged(worker_settings, session_factory, doc_id, data)


def mixed_pdf_bytes() -> bytes:
    """Page 1 born-digital (real text layer), page 2 a scanned image without text."""
    from fpdf import FPDF

    pdf = FPDF(format=(148, 210))
    pdf.add_font("DejaVu", fname=ws.FONT)
    pdf.set_font("DejaVu", size=12)
    pdf.add_page()
    for line in ws.LINES[0]:
        pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    scan = ws.page_image(ws.LINES[2])  # 1500 px wide: 127 mm at 300 dpi
    pdf.image(scan, x=10, y=10, w=1500 / 300 * 25.4)
    return bytes(pdf.output())


def test_pdf_text_layer_page_is_copied_and_image_page_gets_ocr_text(worker_settings, session_factory) -> None:
    data = mixed_pdf_bytes()
    doc_id = ws.add_document(worker_settings, session_factory, data, "application/pdf", "mixed.pdf")
    process_document(doc_id)
    with session_scope(session_factory) as session:
        sources = list(session.scalars(select(Page.source).where(Page.document_id == doc_id).order_by(Page.number)))
    assert sources == ["text_layer", "ocr"]
    pdf = searchable_pdf(worker_settings, session_factory, doc_id)
    assert "Họ và tên: Nguyễn Thị Hồng Nhung" in page_text(pdf, 1)
    assert "Bến Nghé" in page_text(pdf, 2)
    with pikepdf.open(pdf) as out, pikepdf.open(io.BytesIO(data)) as original:
        assert len(out.pages) == 2
        fonts = lambda page: sorted(str(f.BaseFont).split("+")[-1] for f in page.Resources.Font.values())  # noqa: E731 - a shorthand for the asserts
        assert fonts(out.pages[0]) == fonts(original.pages[0])  # the original page, as is
        assert out.pages[0].Contents.read_bytes() == original.pages[0].Contents.read_bytes()
        assert "GlyphLessFont" in fonts(out.pages[1])[0]  # Tesseract's invisible text
        assert out.open_metadata()["pdfaid:part"] == "2"  # fpdf2 embeds DejaVu: all fonts embedded
    original_unchanged(worker_settings, session_factory, doc_id, data)


def test_failed_page_is_kept_as_its_image_without_text(worker_settings, session_factory) -> None:
    def failing_on_page_two(image: Path, **kwargs) -> OcrResult:
        if "0002" in image.name:
            raise RuntimeError("simulated crash in OCR")
        return ocr_image(image, **kwargs)

    ws.install_jobs(worker_settings, ocr_engine=failing_on_page_two)
    doc_id = ws.add_document(worker_settings, session_factory, ws.tiff_bytes(ws.LINES), "image/tiff", "f.tif")
    process_document(doc_id)
    pdf = searchable_pdf(worker_settings, session_factory, doc_id)
    with pikepdf.open(pdf) as doc:
        assert len(doc.pages) == 3
        assert image_count(doc.pages[1]) == 1 and "/Font" not in doc.pages[1].Resources
    assert page_text(pdf, 2).strip() == ""
    assert "Trần Văn Đức" in page_text(pdf, 3)


def test_rerun_and_resume_reuse_page_pdfs_without_duplicate_rows(worker_settings, session_factory) -> None:
    ocr_calls: list[str] = []

    def counting(image: Path, **kwargs) -> OcrResult:
        ocr_calls.append(image.name)
        return ocr_image(image, **kwargs)

    ws.install_jobs(worker_settings, ocr_engine=counting)
    doc_id = ws.add_document(worker_settings, session_factory, ws.tiff_bytes(ws.LINES), "image/tiff", "r.tif")
    process_document(doc_id)
    first = searchable_pdf(worker_settings, session_factory, doc_id)
    first_mtime = first.stat().st_mtime_ns
    process_document(doc_id)  # finished: a no-op
    assert first.stat().st_mtime_ns == first_mtime
    # Resume: page 2 not done yet (as after a crash), the document back in the queue.
    with session_scope(session_factory) as session:
        session.execute(update(Page).where(Page.document_id == doc_id, Page.number == 2)
                        .values(status=PageStatus.PENDING))
        session.execute(update(Document).where(Document.id == doc_id)
                        .values(status=DocumentStatus.QUEUED, index_state=IndexState.PENDING))
    ocr_calls.clear()
    process_document(doc_id)
    assert ocr_calls == ["page-0002.pnm"]  # pages 1 and 3 come from their stored page PDFs
    again = searchable_pdf(worker_settings, session_factory, doc_id)  # still exactly one row
    assert again == first and first.stat().st_mtime_ns != first_mtime
    assert len(stored_files(session_factory, doc_id, "page_pdf")) == 3
    for number, words in ((1, "Hồng Nhung"), (2, "Đà Nẵng"), (3, "Trần Văn Đức")):
        assert words in page_text(again, number)


def degraded_png(lines: list[str]) -> bytes:
    """Heavy blur + salt-and-pepper noise (fixed seed): Tesseract still reads words, unsure."""
    image = ws.page_image(lines).filter(ImageFilter.GaussianBlur(3))
    rng, pixels = random.Random(7), image.load()
    assert pixels is not None
    for _ in range(int(image.width * image.height * 0.05)):
        pixels[rng.randrange(image.width), rng.randrange(image.height)] = rng.choice((0, 255))
    buf = io.BytesIO()
    image.save(buf, "PNG", dpi=(300, 300))
    return buf.getvalue()


def test_degraded_page_is_flagged_for_review_in_the_api(settings, session_factory, api, keys) -> None:
    review = settings.model_copy(update={"ocr_low_confidence": 85.0})
    ws.install_jobs(review)
    try:
        clean = ws.add_document(review, session_factory, ws.tiff_bytes([ws.LINES[0]]), "image/tiff", "ok.tif")
        frames = [Image.open(io.BytesIO(png)) for png in (ws.png_bytes(ws.LINES[1]), degraded_png(ws.LINES[0]))]
        buf = io.BytesIO()
        frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:], dpi=(300, 300))
        bad = ws.add_document(review, session_factory, buf.getvalue(), "image/tiff", "mo.tif")
        process_document(clean)
        process_document(bad)
    finally:
        ws.close_jobs()
    body = api.get(f"/api/v1/documents/{bad}", headers=keys.auth("officer")).json()
    assert body["status"] == DocumentStatus.INDEXED and body["pages_needing_review"] == 1
    assert [p["needs_review"] for p in body["pages"]] == [False, True]
    assert body["pages"][0]["confidence"] >= 85 > body["pages"][1]["confidence"] > 0
    words = ws.archive_path(settings, _words_path(session_factory, bad, 2)).read_text("utf-8")
    assert '"conf":' in words  # every word keeps its own confidence
    assert api.get(f"/api/v1/documents/{clean}", headers=keys.auth("officer")).json()["pages_needing_review"] == 0
    with session_scope(session_factory) as session:
        batch_of = {d.id: d.first_batch_id for d in session.scalars(select(Document))}
    flagged = api.get(f"/api/v1/batches/{batch_of[bad]}?needs_review=true", headers=keys.auth("clerk")).json()
    assert [d["id"] for d in flagged["documents"]] == [bad] and flagged["documents"][0]["pages_needing_review"] == 1
    assert (
        api.get(f"/api/v1/batches/{batch_of[clean]}?needs_review=true", headers=keys.auth("clerk")).json()["documents"]
        == []
    )
    unfiltered = api.get(f"/api/v1/batches/{batch_of[clean]}?needs_review=false", headers=keys.auth("clerk")).json()
    assert [d["id"] for d in unfiltered["documents"]] == [clean] and unfiltered["total"] == 1


def _words_path(sessions, document_id: str, number: int) -> str:
    with session_scope(sessions) as session:
        return session.scalar(select(Page.words_path).where(Page.document_id == document_id, Page.number == number))


def test_officer_downloads_the_searchable_pdf(worker_settings, session_factory, api, keys) -> None:
    doc_id = ws.add_document(worker_settings, session_factory, ws.png_bytes(ws.LINES[1]), "image/png", "don.png")
    missing = api.get(f"/api/v1/documents/{doc_id}/searchable.pdf", headers=keys.auth("officer"))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_available"
    process_document(doc_id)
    pdf = searchable_pdf(worker_settings, session_factory, doc_id)
    response = api.get(f"/api/v1/documents/{doc_id}/searchable.pdf", headers=keys.auth("officer"))
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content == pdf.read_bytes() and response.content.startswith(b"%PDF-")
    assert 'filename="don.pdf"' in response.headers["content-disposition"]


def test_no_pdfa_claim_when_an_original_page_has_a_font_not_embedded(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)  # a standard-14 font: referenced, never embedded
    pdf.cell(0, 10, "Giay khai sinh")
    original = tmp_path / "o.pdf"
    original.write_bytes(bytes(pdf.output()))
    before = original.read_bytes()
    out = tmp_path / "s.pdf"
    claimed = build_searchable_pdf(
        [PagePart(1, None)], original, "application/pdf", out, workdir=tmp_path, title="o.pdf", max_pixels=10**8
    )
    assert claimed is False
    with pikepdf.open(out) as doc:
        assert "pdfaid:part" not in doc.open_metadata() and "/OutputIntents" not in doc.Root
        assert doc.open_metadata()["dc:title"] == "o.pdf"
    assert "Giay khai sinh" in page_text(out, 1) and original.read_bytes() == before


def test_merge_error_is_a_searchable_pdf_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"not a pdf at all")
    with pytest.raises(SearchablePdfError, match="qpdf failed"):
        qpdf_merge([(broken, 1)], tmp_path / "out.pdf")


def test_a_failed_merge_never_fails_the_document(worker_settings, session_factory, monkeypatch) -> None:
    def broken_merge(*args, **kwargs) -> None:  # a fault qpdf will not produce on a good file
        raise SearchablePdfError("qpdf failed: simulated")

    monkeypatch.setattr("workers.ocr.searchable_pdf.qpdf_merge", broken_merge)
    data = ws.tiff_bytes([ws.LINES[0], ws.LINES[2]])
    doc_id = ws.add_document(worker_settings, session_factory, data, "image/tiff", "x.tif")
    process_document(doc_id)
    with session_scope(session_factory) as session:
        doc = session.get(Document, doc_id)
        assert doc is not None and doc.status == DocumentStatus.INDEXED
    assert stored_files(session_factory, doc_id, "searchable_pdf") == []
    # a one-page document has nothing to merge: its page PDF is written out without qpdf
    single = ws.add_document(worker_settings, session_factory, ws.png_bytes(ws.LINES[2]), "image/png", "y.png")
    process_document(single)
    assert len(stored_files(session_factory, single, "searchable_pdf")) == 1
