"""Small generated Vietnamese pages and documents for the worker tests (no shared samples)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from search import SearchBackend
from sohoa.core.config import Settings
from sohoa.core.db import session_scope
from sohoa.core.models import Batch, BatchItem, Document
from sohoa.services import Services
from sohoa.storage.archive import ArchiveStore
from workers.jobs import context
from workers.jobs.context import JobContext
from workers.ocr.tesseract import OcrEngine

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

LINES = [
    ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Họ và tên: Nguyễn Thị Hồng Nhung"],
    ["GIẤY KHAI SINH", "Nơi sinh: Thành phố Đà Nẵng"],
    ["Ủy ban nhân dân phường Bến Nghé", "Người làm đơn: Trần Văn Đức"],
]


def page_image(lines: list[str], *, width: int = 1500, size: int = 44) -> Image.Image:
    """A clean grey page at a ~300 dpi text size (44 px ≈ 10.5 pt), just tall enough."""
    font = ImageFont.truetype(FONT, size)
    height = 80 + len(lines) * size * 2
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((60, 40 + i * size * 2), line, font=font, fill=0)
    return image


def png_bytes(lines: list[str]) -> bytes:
    buf = io.BytesIO()
    page_image(lines).save(buf, "PNG", dpi=(300, 300))
    return buf.getvalue()


def tiff_bytes(pages: list[list[str]]) -> bytes:
    frames = [page_image(lines) for lines in pages]
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate",
                   dpi=(300, 300))
    return buf.getvalue()


def image_pdf_bytes(pages: list[list[str]]) -> bytes:
    """A scanned-style PDF: one 300 dpi image per page, no text layer."""
    frames = [page_image(lines).convert("RGB") for lines in pages]
    buf = io.BytesIO()
    frames[0].save(buf, "PDF", save_all=True, append_images=frames[1:], resolution=300)
    return buf.getvalue()


def text_pdf_bytes(pages: list[list[str]]) -> bytes:
    """A born-digital PDF whose pages carry a real Unicode text layer."""
    from fpdf import FPDF

    pdf = FPDF(format=(148, 210))
    pdf.add_font("DejaVu", fname=FONT)
    pdf.set_font("DejaVu", size=12)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def add_document(settings: Settings, sessions, data: bytes, mime: str, filename: str) -> str:
    """Register a document the way ingest does: original stored, batch + item rows, queued."""
    digest = hashlib.sha256(data).hexdigest()
    spool = settings.var_dir / "spool"
    spool.mkdir(parents=True, exist_ok=True)
    tmp = spool / digest
    tmp.write_bytes(data)
    stored = ArchiveStore(settings.archive_root).put_original(tmp, digest)
    tmp.unlink()
    with session_scope(sessions) as session:
        batch = Batch(agency_code="UBND-BN", procedure_code="KS-01")
        session.add(batch)
        session.flush()
        doc = Document(sha256=digest, size_bytes=len(data), mime_type=mime, filename=filename,
                       original_path=stored.path, first_batch_id=batch.id,
                       agency_code=batch.agency_code, procedure_code=batch.procedure_code)
        session.add(doc)
        session.flush()
        session.add(BatchItem(batch_id=batch.id, position=0, filename=filename, document_id=doc.id))
        return doc.id


_installed: list[Services] = []


def install_jobs(settings: Settings, *, ocr_engine: OcrEngine | None = None,
                 search: SearchBackend | None = None) -> JobContext:
    """What ``run_worker`` does for its process: ``Services`` for ``settings`` installed as the
    job context, optionally with another OCR engine or search backend (fault injection);
    ``close_jobs`` ends it."""
    services = Services.build(settings, search=search)
    _installed.append(services)
    return context.install(services, ocr_engine=ocr_engine)


def close_jobs() -> None:
    context.clear()
    while _installed:
        _installed.pop().close()


def archive_path(settings: Settings, relpath: str) -> Path:
    return ArchiveStore(settings.archive_root).abspath(relpath)
