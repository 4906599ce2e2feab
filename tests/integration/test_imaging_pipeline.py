"""Real Tesseract on small generated pages: orientation, skew, seals, text layers, bombs."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bench.ocr.content import Line
from bench.ocr.legacy import to_tcvn3, to_vni
from bench.ocr.render import born_digital_pdf, garbled_pdf
from sohoa.core.config import Settings
from sohoa.core.db import session_scope
from sohoa.core.models import Page
from sohoa.core.vocab import PageStatus, TextSource
from sohoa.domain.vntext import nfc
from tests.integration import workers_support as ws
from tests.unit.test_imaging import LINES, stamped_page, text_page
from workers.jobs.document import process_document
from workers.ocr.imaging import prepare as prepare_module
from workers.ocr.pipeline import PageOutcome, process_page
from workers.ocr.sources import open_source
from workers.ocr.tesseract import ocr_image

NAME = "Nguyễn Thị Hồng Nhung"


class CountingEngine:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, image: Path, **kwargs):
        self.calls += 1
        return ocr_image(image, **kwargs)


def read(image: Image.Image, tmp_path: Path, settings: Settings, engine=ocr_image) -> PageOutcome:
    path = tmp_path / "page.png"
    image.save(path, dpi=(300, 300))
    source = open_source(path, "image/png", settings)
    try:
        return process_page(source, 1, settings=settings, engine=engine)
    finally:
        source.close()


def read_pdf(path: Path, settings: Settings) -> PageOutcome:
    source = open_source(path, "application/pdf", settings)
    try:
        return process_page(source, 1, settings=settings, engine=ocr_image)
    finally:
        source.close()


@pytest.mark.parametrize(("turn", "expected"), [
    (Image.Transpose.ROTATE_90, 90),  # fed sideways, top to the left: turned 90° clockwise
    (Image.Transpose.ROTATE_270, 270),
    (Image.Transpose.ROTATE_180, 180),
])
def test_rotated_page_is_read_upright(turn, expected: int, tmp_path: Path, settings: Settings) -> None:
    outcome = read(text_page().transpose(turn), tmp_path, settings)
    assert outcome.status == PageStatus.DONE and outcome.rotation == expected
    assert NAME in nfc(outcome.text or "")
    assert (outcome.confidence or 0) > 80


def test_upright_page_pays_for_no_orientation_detection(tmp_path: Path, settings: Settings,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def no_osd(*args, **kwargs):
        raise AssertionError("OSD must not run on an upright page")

    monkeypatch.setattr(prepare_module, "detect_rotation", no_osd)
    engine = CountingEngine()
    outcome = read(text_page(), tmp_path, settings, engine)
    assert outcome.status == PageStatus.DONE and NAME in nfc(outcome.text or "")
    assert engine.calls == 1 and outcome.rotation == 0 and outcome.skew is None


def test_skewed_page_is_deskewed_and_read(tmp_path: Path, settings: Settings) -> None:
    skewed = text_page().rotate(-3.5, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    outcome = read(skewed, tmp_path, settings)
    assert outcome.skew is not None and abs(outcome.skew + 3.5) <= 0.3
    assert all(line in nfc(outcome.text or "") for line in LINES[2:6])


@pytest.mark.parametrize(("dpi", "read_at"), [(100, 150), (120, 150), (150, 150)])
def test_low_resolution_scan_is_enlarged_to_150_dpi_only_below_150(dpi: int, read_at: int, tmp_path: Path,
                                                                   settings: Settings) -> None:
    page = text_page(width=round(1400 * dpi / 300), size=round(36 * dpi / 300))  # the same 8.6 pt text
    path = tmp_path / "fax.png"
    page.save(path, dpi=(dpi, dpi))
    source = open_source(path, "image/png", settings)
    try:
        outcome = process_page(source, 1, settings=settings, engine=ocr_image)
    finally:
        source.close()
    assert outcome.status == PageStatus.DONE and outcome.dpi == read_at
    assert outcome.width == round(page.width * read_at / dpi)  # word boxes are in the pixels read
    assert NAME in nfc(outcome.text or "")


def test_black_and_white_fax_is_read_at_its_own_resolution(tmp_path: Path, settings: Settings) -> None:
    """Enlarging only blurs a fax's hard edges (the office mix's faxes: CER 2.17 % as they
    are, 2.86 % enlarged), so a bilevel 100 dpi page goes to Tesseract at its own pixels."""
    fax = text_page(width=622, size=16).point(lambda v: 0 if v < 128 else 255).convert("1")
    path = tmp_path / "fax.tif"
    fax.save(path, compression="group4", dpi=(100, 100))
    source = open_source(path, "image/tiff", settings)
    try:
        outcome = process_page(source, 1, settings=settings, engine=ocr_image)
    finally:
        source.close()
    assert outcome.status == PageStatus.DONE and outcome.dpi == 100 and outcome.width == fax.width
    assert NAME in nfc(outcome.text or "")


def test_text_under_a_red_seal_is_read(tmp_path: Path, settings: Settings) -> None:
    outcome = read(stamped_page(), tmp_path, settings)
    assert outcome.status == PageStatus.DONE
    text = nfc(outcome.text or "")
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and NAME in text


PAGE = [Line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "header"), Line("Độc lập - Tự do - Hạnh phúc", "header"),
        Line(f"Họ và tên: {NAME}"), Line("Nơi cư trú: thôn 5, xã Lùng Vai, huyện Mường Khương")]


@pytest.mark.parametrize("encode", [to_tcvn3, to_vni])
def test_legacy_font_text_layer_is_ocred_instead(encode, tmp_path: Path, settings: Settings) -> None:
    pdf = tmp_path / "legacy.pdf"
    garbled_pdf([PAGE], pdf, encode)
    outcome = read_pdf(pdf, settings)
    assert outcome.source == TextSource.OCR and NAME in nfc(outcome.text or "")


def test_unicode_text_layer_is_used_without_ocr(tmp_path: Path, settings: Settings) -> None:
    pdf = tmp_path / "digital.pdf"
    born_digital_pdf([PAGE], pdf)
    outcome = read_pdf(pdf, settings)
    assert outcome.source == TextSource.TEXT_LAYER and NAME in nfc(outcome.text or "")


def bomb_png(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width``x``height`` grey pixels; the data is a few bytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def test_decompression_bomb_fails_the_page_with_image_too_large(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb_png(60_000, 60_000))  # 3.6 Gpx claimed, 100 bytes on disk
    source = open_source(path, "image/png", settings)
    try:
        outcome = process_page(source, 1, settings=settings, engine=ocr_image)
    finally:
        source.close()
    assert outcome.status == PageStatus.FAILED and outcome.error_code == "image_too_large"


def test_applied_rotation_and_skew_are_stored_on_the_page(worker_settings: Settings, session_factory) -> None:
    import io

    buf = io.BytesIO()
    page = text_page().rotate(2.5, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    page.transpose(Image.Transpose.ROTATE_180).save(buf, "PNG", dpi=(300, 300))
    doc_id = ws.add_document(worker_settings, session_factory, buf.getvalue(), "image/png", "turned.png")
    process_document(doc_id)
    with session_scope(session_factory) as session:
        stored = session.query(Page).filter_by(document_id=doc_id).one()
        assert stored.status == PageStatus.DONE and stored.rotation == 180
        assert stored.skew is not None and abs(abs(stored.skew) - 2.5) <= 0.3
        assert NAME in nfc(stored.text or "")


def test_searchable_pdf_shows_the_scan_in_colour_with_text_over_it(tmp_path: Path, settings: Settings) -> None:
    """OCR reads the bleached grey page; the page PDF shows the original colours, upright."""
    outcome = read(stamped_page().transpose(Image.Transpose.ROTATE_180), tmp_path, settings)
    assert outcome.rotation == 180 and outcome.pdf_path is not None
    try:
        shown = rendered(outcome.pdf_path, (outcome.width or 0, outcome.height or 0), tmp_path)
        rgb = np.asarray(shown).astype(int)
        red = (rgb[..., 0] > 150) & (rgb[..., 1] < 100)
        assert red.sum() > 2000  # the seal is there in colour...
        assert red[: red.shape[0] // 2].sum() > 0.55 * red.sum()  # ...upright: ~68% in the top half (~25% if not)
        text = subprocess_text(outcome.pdf_path)
        assert NAME in nfc(text)
    finally:
        outcome.pdf_path.unlink(missing_ok=True)


@pytest.mark.parametrize(("name", "turn", "angle"), [
    ("page.jpg", None, -1.5),  # a JPEG scan goes in as its own bytes
    ("page.jpg", Image.Transpose.ROTATE_180, 2.5),
    ("page.jpg", Image.Transpose.ROTATE_270, -3.0),
    ("page.png", Image.Transpose.ROTATE_90, 2.0),  # any other scan is encoded once, unturned
])
def test_page_pdf_draws_the_scan_as_the_ocr_read_it(name: str, turn, angle: float, tmp_path: Path,
                                                    settings: Settings) -> None:
    """The page PDF turns and straightens the scan by its drawing, so what a person sees is
    the page the OCR read: rendered, it matches ``upright`` (the API's page image) pixel for
    pixel within JPEG's noise, and the text lies over the words."""
    import pikepdf

    from workers.ocr.imaging.display import upright

    scan = stamped_page().rotate(angle, resample=Image.Resampling.BICUBIC, expand=True,
                                 fillcolor=(255, 255, 255))
    scan = scan.transpose(turn) if turn is not None else scan
    path = tmp_path / name
    if name.endswith(".jpg"):
        scan.save(path, dpi=(300, 300), quality=92)
    else:
        scan.save(path, dpi=(300, 300))
    source = open_source(path, "image/jpeg" if name.endswith(".jpg") else "image/png", settings)
    try:
        outcome = process_page(source, 1, settings=settings, engine=ocr_image)
    finally:
        source.close()
    assert outcome.status == PageStatus.DONE and outcome.pdf_path is not None and outcome.skew
    try:
        with Image.open(path) as original:
            expected = np.asarray(upright(original.convert("RGB"), outcome.rotation or 0, outcome.skew)).astype(int)
            unstraightened = np.asarray(upright(original.convert("RGB"), outcome.rotation or 0, None)).astype(int)
        shown = np.asarray(rendered(outcome.pdf_path, (expected.shape[1], expected.shape[0]), tmp_path)).astype(int)
        assert np.abs(shown - expected).mean() < 3.0  # rendering and JPEG noise only
        assert np.abs(shown - unstraightened).mean() > 2 * np.abs(shown - expected).mean()
        with pikepdf.open(outcome.pdf_path) as pdf:
            images = [x for x in pdf.pages[0].Resources.XObject.values() if x.Subtype == "/Image"]
            assert len(images) == 1  # Tesseract's own image was never written
            if name.endswith(".jpg"):
                assert images[0].read_raw_bytes() == path.read_bytes()
        assert NAME in nfc(subprocess_text(outcome.pdf_path))
    finally:
        outcome.pdf_path.unlink(missing_ok=True)


def rendered(pdf: Path, size: tuple[int, int], tmp_path: Path) -> Image.Image:
    """The page as a viewer shows it, ``size`` pixels (poppler's rendering)."""
    import subprocess

    out = tmp_path / "rendered"
    subprocess.run(["pdftoppm", "-singlefile", "-scale-to-x", str(size[0]), "-scale-to-y", str(size[1]),
                    str(pdf), str(out)], check=True, capture_output=True)
    with Image.open(out.with_suffix(".ppm")) as image:
        return image.convert("RGB")


def subprocess_text(pdf: Path) -> str:
    import subprocess

    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout.decode()


def test_sideways_page_without_clear_marks_evidence_is_turned_by_osd(tmp_path: Path, settings: Settings,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = prepare_module.detect_rotation

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(prepare_module, "detect_rotation", spy)
    short = text_page().crop((0, 0, 1400, 360))  # 4 lines: too few for the marks test
    outcome = read(short.transpose(Image.Transpose.ROTATE_90), tmp_path, settings)
    assert calls and outcome.rotation == 90
    assert NAME in nfc(outcome.text or "")


@pytest.mark.parametrize("dpi", [100, 200, 300])
def test_page_pdf_is_the_scans_size_with_each_word_over_its_box(dpi: int, tmp_path: Path) -> None:
    """From 150 dpi Tesseract sizes the text itself and lays its PDF out at the resolution
    it was told (1 dpi), so the page PDF is resized for the scan's dpi: the page box is the
    scan's paper size and pdftotext finds each word where the TSV box puts it."""
    import subprocess
    import xml.etree.ElementTree as ET

    import pikepdf

    page = tmp_path / "page.png"
    text_page(width=1400).save(page)
    result = ocr_image(page, languages="vie", dpi=dpi, timeout=60, workdir=tmp_path)
    assert result.pdf is not None and result.words
    width, height = Image.open(page).size
    with pikepdf.open(result.pdf) as pdf:
        box = [float(v) for v in pdf.pages[0].MediaBox]
    assert box == pytest.approx([0, 0, width * 72 / dpi, height * 72 / dpi], abs=0.05)
    xhtml = subprocess.run(["pdftotext", "-bbox", str(result.pdf), "-"], capture_output=True, check=True).stdout
    found = [w for w in ET.fromstring(xhtml).iter() if w.tag.endswith("word")]
    first = result.words[0]
    placed = next(w for w in found if nfc(w.text or "") == first.text)
    assert float(placed.get("xMin", "nan")) * dpi / 72 == pytest.approx(first.left, abs=4)
    assert float(placed.get("yMax", "nan")) * dpi / 72 == pytest.approx(first.top + first.height, abs=6)
