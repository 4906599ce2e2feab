"""Separator sheets: a page carrying the office's chosen barcode or QR code (as Paperless-ngx
offers) ends one paper document and starts the next; it is no page of either.

Read with zxing-cpp on the page image the preparation stage already decoded, shrunk to
about 100 dpi: a separator code is printed centimetres wide, so it survives the shrink, and
the scan costs ~10 ms on an A4 page at 300 dpi (``bench/parts_run.py`` measures it against
the page's whole time). Only the formats a separator sheet is printed with are tried.
"""

from __future__ import annotations

import numpy as np
import zxingcpp
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"  # fonts-dejavu-core: Vietnamese glyphs

SCAN_DPI = 100
FORMATS = zxingcpp.BarcodeFormats([
    zxingcpp.BarcodeFormat.QRCode,
    zxingcpp.BarcodeFormat.MicroQRCode,
    zxingcpp.BarcodeFormat.DataMatrix,
    zxingcpp.BarcodeFormat.Code128,
    zxingcpp.BarcodeFormat.Code39,
])


def find_codes(gray: Image.Image, dpi: int) -> list[str]:
    """Texts of the barcodes on a grey page image (shrunk to ~``SCAN_DPI`` first)."""
    factor = max(1, round(dpi / SCAN_DPI))
    small = gray.reduce(factor) if factor > 1 else gray
    return [r.text.strip() for r in zxingcpp.read_barcodes(small, formats=FORMATS) if r.valid]


def is_separator(gray: Image.Image, dpi: int, code: str) -> bool:
    """True when the page carries ``code`` (compared without case or surrounding spaces)."""
    wanted = code.strip().casefold()
    return any(text.casefold() == wanted for text in find_codes(gray, dpi))


def separator_sheet(code: str, *, dpi: int = 150) -> Image.Image:
    """A printable A4 separator sheet: the code as a 5 cm QR code, and what the page is for."""
    px = dpi / 2.54
    page = Image.new("L", (round(21 * px), round(29.7 * px)), 255)
    mark = Image.fromarray(np.asarray(zxingcpp.create_barcode(code, zxingcpp.BarcodeFormat.QRCode).to_image(scale=1)))
    mark = mark.resize((round(5 * px), round(5 * px)), Image.Resampling.NEAREST)
    page.paste(mark, ((page.width - mark.width) // 2, round(8 * px)))
    draw = ImageDraw.Draw(page)
    for y_cm, text, size in ((4, "TRANG TÁCH HỒ SƠ", 1.0), (15, "Đặt trang này giữa hai văn bản khi quét.", 0.5),
                             (16, f"Mã: {code}", 0.5)):
        font = ImageFont.truetype(FONT, round(size * px))
        width = draw.textlength(text, font=font)
        draw.text(((page.width - width) / 2, y_cm * px), text, fill=0, font=font)
    return page
