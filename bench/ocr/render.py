"""Draw generated pages: upright A4 raster at any dpi, and PDFs with real or garbled text."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF
from fpdf.enums import TextMode
from PIL import Image, ImageDraw, ImageFont

from bench.ocr.content import Line

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
A4_MM = (210.0, 297.0)
MARGIN_MM, TOP_MM, SIZE_PT = 25.0, 18.0, 12.0
STYLE_PT = {"header": 12.0, "title": 14.5, "body": 12.0, "sign": 12.0}


def _font_file(style: str) -> Path:
    return FONT_DIR / ("DejaVuSerif.ttf" if style == "body" else "DejaVuSerif-Bold.ttf")


def layout(lines: list[Line]) -> list[tuple[Line, float, float, str]]:
    """(line, y_mm baseline top, size_pt, align) for each line: one layout for every renderer."""
    out, y = [], TOP_MM
    for line in lines:
        size = STYLE_PT[line.style]
        if line.style == "title":
            y += 4
        align = {"header": "C", "title": "C", "sign": "R"}.get(line.style, "L")
        out.append((line, y, size, align))
        y += size * 0.3528 * 1.55 + (4 if line.style == "title" else 0)
    return out


def render_page(lines: list[Line], dpi: int = 300) -> Image.Image:
    """The upright page as an 8-bit grey image at ``dpi``; lines too wide are shrunk to fit."""
    px = dpi / 25.4
    width, height = round(A4_MM[0] * px), round(A4_MM[1] * px)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    avail = (A4_MM[0] - 2 * MARGIN_MM) * px
    for line, y_mm, size, align in layout(lines):
        size_px = size / 72 * dpi
        font = ImageFont.truetype(str(_font_file(line.style)), round(size_px))
        text_w = draw.textlength(line.text, font=font)
        if text_w > avail:
            font = ImageFont.truetype(str(_font_file(line.style)), int(size_px * avail / text_w))
            text_w = draw.textlength(line.text, font=font)
        x = _x(align, text_w, avail, MARGIN_MM * px)
        draw.text((x, y_mm * px), line.text, fill=0, font=font)
    return image


def _x(align: str, text_w: float, avail: float, left: float) -> float:
    if align == "C":
        return left + (avail - text_w) / 2
    if align == "R":
        return left + avail - text_w - avail * 0.05
    return left


def _pdf() -> FPDF:
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("serif", "", str(FONT_DIR / "DejaVuSerif.ttf"))
    pdf.add_font("serif", "B", str(FONT_DIR / "DejaVuSerif-Bold.ttf"))
    return pdf


def _write_lines(pdf: FPDF, lines: list[Line], encode=None) -> None:
    avail = A4_MM[0] - 2 * MARGIN_MM
    for line, y_mm, size, align in layout(lines):
        pdf.set_font("serif", "" if line.style == "body" else "B", size)
        width = pdf.get_string_width(line.text)
        if width > avail:
            pdf.set_font_size(size * avail / width)
            width = pdf.get_string_width(line.text)
        x = _x(align, width, avail, MARGIN_MM)
        text = encode(line.text) if encode else line.text
        pdf.text(x, y_mm + pdf.font_size * 0.8, text)


def born_digital_pdf(pages: list[list[Line]], out: Path) -> None:
    """A PDF typed in Unicode fonts: its text layer is the truth."""
    pdf = _pdf()
    for lines in pages:
        pdf.add_page()
        _write_lines(pdf, lines)
    pdf.output(str(out))


def garbled_pdf(pages: list[list[Line]], out: Path, encode, dpi: int = 200) -> None:
    """A scan-like PDF whose invisible text layer is legacy-font garble (``encode``)."""
    pdf = _pdf()
    for lines in pages:
        pdf.add_page()
        image = render_page(lines, dpi)
        pdf.image(image, x=0, y=0, w=A4_MM[0], h=A4_MM[1])
        pdf.text_mode = TextMode.INVISIBLE
        _write_lines(pdf, lines, encode)
        pdf.text_mode = TextMode.FILL
    pdf.output(str(out))
