"""Separator sheets: a page carrying the office's chosen barcode or QR code (as Paperless-ngx
offers) ends one paper document and starts the next; it is no page of either.

Read with zxing-cpp on the page image the preparation stage already decoded, shrunk to
about 100 dpi: a separator code is printed centimetres wide, so it survives the shrink, and
looking for a QR code costs ~12 ms on an A4 page (``bench/parts_run.py`` measures it against
the page's whole time). Only the formats chosen (``SOHOA_SEPARATOR_FORMATS``, QR by default)
are tried: each linear format costs about as much again.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import zxingcpp
from PIL import Image, ImageDraw, ImageFont

from sohoa.core.config import Settings

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"  # fonts-dejavu-core: Vietnamese glyphs

SCAN_DPI = 100
DEFAULT_FORMATS = "QRCode"


@dataclass(frozen=True)
class Separator:
    """What a separator sheet carries: the code's text and the formats looked for."""

    code: str
    formats: str = DEFAULT_FORMATS  # comma-separated zxing-cpp names (``SeparatorFormat``)

    @classmethod
    def from_settings(cls, settings: Settings) -> Separator | None:
        code = settings.separator_code
        return None if code is None else cls(code, settings.separator_formats)


@lru_cache(maxsize=16)
def _formats(names: str) -> zxingcpp.BarcodeFormats:
    return zxingcpp.barcode_formats_from_str(names)


def find_codes(gray: Image.Image, dpi: int, formats: str = DEFAULT_FORMATS) -> list[str]:
    """Texts of the barcodes on a grey page image (shrunk to ~``SCAN_DPI`` first).

    Measured on 14 generated stack files (bench/parts_run.py pages): QR only 11.9 ms a page,
    QR + Micro QR + Data Matrix 21.8 ms, adding Code 128 and Code 39 32.6 ms.
    """
    factor = max(1, round(dpi / SCAN_DPI))
    small = gray.reduce(factor) if factor > 1 else gray
    return [r.text.strip() for r in zxingcpp.read_barcodes(small, formats=_formats(formats)) if r.valid]


def is_separator(gray: Image.Image, dpi: int, code: str | Separator) -> bool:
    """True when the page carries the code (compared without case or surrounding spaces)."""
    spec = code if isinstance(code, Separator) else Separator(code)
    wanted = spec.code.strip().casefold()
    return any(text.casefold() == wanted for text in find_codes(gray, dpi, spec.formats))


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
