"""Separator sheets in the page pipeline: generated pages carrying a QR code (or a Code 128
barcode), read with zxing-cpp, at scan resolutions and orientations clerks produce."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from sohoa.core.config import Settings
from sohoa.core.db import session_scope
from sohoa.core.models import Page, Part
from tests.integration import workers_support as ws
from workers.jobs.document import process_document
from workers.ocr.pipeline import process_page, top_lines
from workers.ocr.separator import Separator, find_codes, is_separator
from workers.ocr.sources import open_source
from workers.ocr.tesseract import OcrResult, OcrWord, ocr_image

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def code_image(text: str, fmt: zxingcpp.BarcodeFormat = zxingcpp.BarcodeFormat.QRCode) -> Image.Image:
    return Image.fromarray(np.asarray(zxingcpp.create_barcode(text, fmt).to_image(scale=1)))


def sheet(code: str | None, *, dpi: int = 300, cm: float = 4.0, angle: int = 0, caption: str = "TÁCH HỒ SƠ",
          fmt: zxingcpp.BarcodeFormat = zxingcpp.BarcodeFormat.QRCode) -> Image.Image:
    """An A4 page with a ``cm``-wide code in its middle and a caption, as an office prints it."""
    px = dpi / 2.54
    page = Image.new("L", (round(21 * px), round(29.7 * px)), 255)
    if code is not None:
        mark = code_image(code, fmt)
        size = (round(cm * px), round(cm * px * mark.height / mark.width))
        if fmt != zxingcpp.BarcodeFormat.QRCode:
            size = (round(cm * px), round(1.5 * px))
        mark = mark.resize(size, Image.Resampling.NEAREST)
        page.paste(mark, ((page.width - mark.width) // 2, page.height // 3))
    ImageDraw.Draw(page).text((round(3 * px), round(2 * px)), caption, fill=0,
                              font=ImageFont.truetype(FONT, round(0.6 * px)))
    return page.rotate(angle, expand=True, fillcolor=255) if angle else page


def png(image: Image.Image, dpi: int, path: Path) -> Path:
    image.save(path, "PNG", dpi=(dpi, dpi))
    return path


def no_ocr(image: Path, **_kw: object) -> OcrResult:
    raise AssertionError("a separator sheet must not be OCR'd")


@pytest.mark.parametrize(("dpi", "angle", "cm"), [(300, 0, 4.0), (200, 0, 3.0), (150, 90, 3.0), (300, 180, 2.5),
                                                  (100, 0, 4.0)])
def test_the_chosen_qr_code_is_found_at_scan_resolutions_and_orientations(dpi: int, angle: int, cm: float) -> None:
    page = sheet("SOHOA-TACH", dpi=dpi, angle=angle, cm=cm)
    assert is_separator(page, dpi, "SOHOA-TACH")
    assert is_separator(page, dpi, " sohoa-tach ")  # case and spaces do not matter


def test_another_code_or_no_code_is_no_separator() -> None:
    assert find_codes(sheet("https://dichvucong.gov.vn/ho-so/123"), 300) == ["https://dichvucong.gov.vn/ho-so/123"]
    assert not is_separator(sheet("https://dichvucong.gov.vn/ho-so/123"), 300, "SOHOA-TACH")
    assert not is_separator(sheet(None), 300, "SOHOA-TACH")


def test_a_code_128_separator_is_found_too() -> None:
    page = sheet("SOHOA-TACH", fmt=zxingcpp.BarcodeFormat.Code128, cm=8)
    assert not is_separator(page, 300, "SOHOA-TACH")  # QR codes only, by default
    assert is_separator(page, 300, Separator("SOHOA-TACH", "QRCode,Code128"))
    with pytest.raises(ValueError, match="separator_formats"):
        Settings(_env_file=None, separator_formats="QRCode,Bogus")


def test_the_pipeline_drops_a_separator_without_an_ocr_pass(tmp_path: Path) -> None:
    path = png(sheet("SOHOA-TACH"), 300, tmp_path / "sep.png")
    settings = Settings(_env_file=None, var_dir=tmp_path / "var")
    source = open_source(path, "image/png", settings)
    try:
        outcome = process_page(source, 1, settings=settings, engine=no_ocr)
    finally:
        source.close()
    assert (outcome.status, outcome.separator, outcome.text, outcome.error_code) == ("done", True, "", None)
    assert outcome.pdf_path is None and outcome.words is None


def test_with_separators_off_the_page_is_read_like_any_other(tmp_path: Path) -> None:
    path = png(sheet("SOHOA-TACH", caption="TÁCH HỒ SƠ NGUYỄN VĂN AN"), 300, tmp_path / "sep.png")
    settings = Settings(_env_file=None, var_dir=tmp_path / "var", separator_barcode="off")
    assert settings.separator_code is None
    source = open_source(path, "image/png", settings)
    try:
        outcome = process_page(source, 1, settings=settings, engine=ocr_image)
    finally:
        source.close()
    assert not outcome.separator and "NGUYỄN VĂN AN" in (outcome.text or "")


def test_a_different_chosen_code_and_a_multipage_tiff(tmp_path: Path) -> None:
    frames = [sheet(None, caption="CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), sheet("PATCHT"), sheet("SOHOA-TACH")]
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate", dpi=(300, 300))
    path = tmp_path / "stack.tiff"
    path.write_bytes(buf.getvalue())
    settings = Settings(_env_file=None, var_dir=tmp_path / "var", separator_barcode="PATCHT")
    source = open_source(path, "image/tiff", settings)
    try:
        found = [process_page(source, n, settings=settings, engine=ocr_image).separator for n in (1, 2, 3)]
    finally:
        source.close()
    assert found == [False, True, False]


def test_top_lines_are_the_lines_printed_in_the_top_third_in_page_order() -> None:
    def word(text: str, top: int, left: int, line: int) -> OcrWord:
        return OcrWord(text, 90.0, left, top, 40, 20, 1, 1, line)

    words = [word("Điều", 2000, 10, 1), word("1.", 2000, 60, 1),  # body, read first
             word("Độc", 300, 900, 3), word("lập", 300, 950, 3),
             word("CỘNG", 200, 900, 2), word("HÒA", 200, 990, 2)]
    assert top_lines(words, 3000) == "CỘNG HÒA\nĐộc lập"
    assert top_lines([], 3000) is None


def test_a_scanned_stack_with_a_separator_sheet_becomes_two_parts(worker_settings, session_factory) -> None:
    first = ws.page_image(["ỦY BAN NHÂN DÂN XÃ TRÀ ĐỐC", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                           "GIẤY PHÉP XÂY DỰNG", "Cấp cho: Ông Đỗ Quang Khánh"])
    second = ws.page_image(["Trà Đốc, ngày 02 tháng 3 năm 2023", "Họ và tên: Lê Thị Lan"])  # no heading
    frames = [first, sheet("SOHOA-TACH", dpi=150), second]
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate", dpi=(300, 300))
    doc = ws.add_document(worker_settings, session_factory, buf.getvalue(), "image/tiff", "stack.tiff")
    process_document(doc)
    with session_scope(session_factory) as session:
        parts = session.scalars(select(Part).where(Part.document_id == doc).order_by(Part.position)).all()
        assert [(p.first_page, p.last_page, p.reasons[0]) for p in parts] == [(1, 1, "first_page"),
                                                                               (3, 3, "separator_sheet")]
        pages = session.scalars(select(Page).where(Page.document_id == doc).order_by(Page.number)).all()
        assert [p.separator for p in pages] == [False, True, False]
        assert "CỘNG HÒA" in (pages[0].top_text or "")
