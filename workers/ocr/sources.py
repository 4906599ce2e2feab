"""Page sources: a document's pages, one at a time, as a text layer or a page image.

PDF pages come through poppler (``workers.ocr.poppler``): a page that is one upright scanned
image has that image extracted (``workers.ocr.pdf_page_image``), any other page is rendered.
TIFF (multi-page), JPEG and PNG come through Pillow frame by frame. The pixel limit is
checked from headers and page sizes BEFORE anything is decoded or rasterized, so a decompression bomb costs nothing.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from sohoa.core.config import Settings
from sohoa.core.errors import CorruptFile, EncryptedPdf, ImageTooLarge, UnsupportedType
from workers.ocr import poppler
from workers.ocr.pdf_page_image import WholePageImage, plain_jpeg_bytes, whole_page_image
from workers.ocr.textlayer import is_real_text

MIN_NATIVE_DPI, MAX_NATIVE_DPI = 70, 1200


@dataclass(frozen=True)
class RasterPage:
    path: Path
    width: int
    height: int
    dpi: int


class PageSource(Protocol):
    page_count: int

    def text_layer(self, number: int) -> str | None:
        """The page's own text when it is real Unicode text, else None (OCR it)."""

    def rasterize(self, number: int, workdir: Path, *, fit_side: int | None = None) -> RasterPage:
        """The page's pixels. ``fit_side``: a PDF page that must be rendered is rendered at
        the lowest resolution giving that many pixels on its longer side (never above its
        native one): a screen's page image needs far fewer pixels than the OCR."""

    def close(self) -> None: ...


def open_source(path: Path, mime_type: str, settings: Settings) -> PageSource:
    if mime_type == "application/pdf":
        return PdfSource(path, settings)
    if mime_type in {"image/tiff", "image/jpeg", "image/png"}:
        return ImageSource(path, settings)
    raise UnsupportedType(f"cannot process {mime_type}")


def _check_pixels(width: int, height: int, settings: Settings) -> None:
    if width * height > settings.max_pixels_per_page:
        raise ImageTooLarge(
            f"page is {width}x{height} pixels, more than the limit of {settings.max_pixels_per_page}",
            detail={"width": width, "height": height, "limit": settings.max_pixels_per_page},
        )


def _plausible_dpi(value: float | None, default: int) -> int:
    if value is None or not MIN_NATIVE_DPI <= value <= MAX_NATIVE_DPI:
        return default
    return round(value)


class PdfSource:
    def __init__(self, path: Path, settings: Settings) -> None:
        self.path, self.settings = path, settings
        try:
            self._reader = PdfReader(path)
            if self._reader.is_encrypted and not self._reader.decrypt(""):
                raise EncryptedPdf("the PDF is encrypted")
            self.page_count = len(self._reader.pages)
        except PdfReadError as e:
            raise CorruptFile(f"cannot read the PDF: {e}") from e
        self._timeout = float(settings.page_timeout_seconds)
        self._scans: dict[int, WholePageImage | str] = {}  # the current page's only

    def text_layer(self, number: int) -> str | None:
        """A page that is one scanned image draws no text (``whole_page_image`` admits no
        text operator), so ``pdftotext`` is not asked (~10 ms a page)."""
        if isinstance(self._scan(number), WholePageImage):
            return None
        text = poppler.page_text(self.path, number, timeout=self._timeout)
        return text if is_real_text(text) else None

    def _scan(self, number: int) -> WholePageImage | str:
        """``whole_page_image`` of the page, worked out once for text_layer + rasterize."""
        if number not in self._scans:
            # pypdf keeps every object it has parsed, the pages' image streams too (a 200-page,
            # 223 MB scan grew the worker by 186 MB): the pages done are let go.
            self._reader.resolved_objects.clear()
            self._scans = {number: whole_page_image(self._reader.pages[number - 1])}
        return self._scans[number]

    def rasterize(self, number: int, workdir: Path, *, fit_side: int | None = None) -> RasterPage:
        page = self._reader.pages[number - 1]
        scan = self._scan(number)
        if isinstance(scan, WholePageImage) and MIN_NATIVE_DPI <= scan.ppi <= MAX_NATIVE_DPI:
            return self._extract(number, scan, workdir)
        box, unit = page.cropbox, float(page.user_unit or 1)
        ppi, grey = poppler.page_images(self.path, number, timeout=self._timeout)
        dpi = _plausible_dpi(ppi, self.settings.ocr_default_dpi)
        if fit_side is not None:
            longest = max(abs(float(box.width)), abs(float(box.height))) * unit / 72  # inches
            dpi = max(1, min(dpi, math.ceil(fit_side / max(longest, 0.01))))
        width = round(abs(float(box.width)) * unit / 72 * dpi)
        height = round(abs(float(box.height)) * unit / 72 * dpi)
        _check_pixels(width, height, self.settings)
        # grey scans render grey; colour (seals) or vector content keeps its colour
        image = poppler.rasterize_page(self.path, number, dpi=dpi, workdir=workdir, timeout=self._timeout, gray=grey)
        return RasterPage(image, width, height, dpi)

    def _extract(self, number: int, scan: WholePageImage, workdir: Path) -> RasterPage:
        """A page that is one upright scanned image: its pixels as stored, no render."""
        _check_pixels(scan.width, scan.height, self.settings)
        if scan.jpeg:
            image = workdir / f"page-{number:04d}.jpg"
            image.write_bytes(plain_jpeg_bytes(self._reader.pages[number - 1], scan))
        else:
            image = poppler.extract_page_image(self.path, number, workdir=workdir, timeout=self._timeout,
                                               grey=scan.mode == "L")
        size = _header_size(image)
        if size != (scan.width, scan.height):
            raise CorruptFile(f"page {number}: extracted image is {size}, expected {(scan.width, scan.height)}")
        dpi = _plausible_dpi(scan.ppi, self.settings.ocr_default_dpi)
        return RasterPage(image, scan.width, scan.height, dpi)

    def close(self) -> None:
        self._reader.close()


class ImageSource:
    """TIFF/JPEG/PNG: one Pillow frame decoded at a time."""

    DIRECT_FORMATS: ClassVar[frozenset[str]] = frozenset({"JPEG", "PNG"})

    def __init__(self, path: Path, settings: Settings) -> None:
        self.path, self.settings = path, settings
        # Pillow's own bomb check looks at the first frame only and would fail the whole
        # document; ``rasterize`` checks every frame's header against the limit instead.
        saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            self._image = Image.open(path)
        except (UnidentifiedImageError, OSError) as e:
            raise CorruptFile(f"cannot read the image: {e}") from e
        finally:
            Image.MAX_IMAGE_PIXELS = saved
        self.page_count = getattr(self._image, "n_frames", 1)

    def text_layer(self, number: int) -> str | None:
        return None

    def rasterize(self, number: int, workdir: Path, *, fit_side: int | None = None) -> RasterPage:
        """A frame as stored (``fit_side`` does not apply: the pixels are already there)."""
        image = self._image
        try:
            image.seek(number - 1)
        except EOFError as e:
            raise CorruptFile(f"frame {number} is missing") from e
        width, height = image.size
        _check_pixels(width, height, self.settings)
        dpi = _plausible_dpi((image.info.get("dpi") or (None,))[0], self.settings.ocr_default_dpi)
        if self.page_count == 1 and image.format in self.DIRECT_FORMATS and image.mode in {"1", "L", "RGB"}:
            return RasterPage(self.path, width, height, dpi)  # Tesseract reads it as is
        target = workdir / f"page-{number:04d}.pnm"
        try:
            with warnings.catch_warnings():  # the size was checked above
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                frame = image.convert(_pnm_mode(image.mode))
            frame.save(target, format="PPM")
        except (OSError, ValueError, SyntaxError) as e:
            raise CorruptFile(f"cannot decode frame {number}: {e}") from e
        return RasterPage(target, width, height, dpi)

    def close(self) -> None:
        self._image.close()


def _header_size(path: Path) -> tuple[int, int] | None:
    """An image file's pixel size from its header (nothing decoded), None if unreadable."""
    saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # the caller checked the size
    try:
        with Image.open(path) as image:
            return image.size
    except (UnidentifiedImageError, OSError):
        return None
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def _pnm_mode(mode: str) -> str:
    if mode in {"1", "L", "RGB"}:
        return mode
    if mode in {"LA", "I;16", "I;16B", "I;16L", "I", "F"}:
        return "L"
    return "RGB"
