"""What a file really is, judged from its bytes, and whether it stays within the limits.

The client's name and Content-Type are ignored: a ``.pdf`` that is a ZIP is rejected, a
JPEG named ``scan.tif`` is accepted as a JPEG. Checks stop at what the upload must
guarantee (type, readable structure, page count, pixel count, not truncated); decoding
every page is the workers' job, where one bad page fails alone.

Truncation is caught without decoding the pixels where the format allows, since the
first OCR job of a batch waits for this check:

* PDF: the ``%%EOF`` marker, then the cross-reference table and page tree (pypdf).
* TIFF: every page's directory is read, and every strip or tile of every page must lie
  inside the file (without usable layout tags, the first and last pages are decoded).
* PNG: every chunk through ``IEND`` must be there with a matching CRC (a PNG missing
  ``IEND`` is truncated, even when its pixels would decode).
* JPEG: decoded at 1/8 scale, grey only (libjpeg's DCT scaling): still every byte of the
  entropy-coded data, so a cut file fails as it would at full size; 1.2x (grey, progressive)
  to 2.5x (colour, baseline) cheaper than a full decode.

Damaged pixel data in a file of full length (a TIFF strip that does not decompress, a
PNG whose chunks are intact but whose compressed stream is not) passes here and fails
in the worker, as a page-level error of the page concerned.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, JpegImagePlugin, PngImagePlugin, TiffImagePlugin
from pypdf import PdfReader

from sohoa.core.errors import CorruptFile, EncryptedPdf, ImageTooLarge, SohoaError, TooManyPages, UnsupportedType
from sohoa.core.redact import without_paths

log = logging.getLogger(__name__)

PDF, TIFF, JPEG, PNG = "application/pdf", "image/tiff", "image/jpeg", "image/png"
SUPPORTED_TYPES = (PDF, TIFF, JPEG, PNG)
# Files are opened with the one Pillow plugin their magic bytes named. The three plugins are
# imported here: otherwise the first TIFF opened makes Pillow import all of its plugins to
# find the TIFF one (~20 ms, paid by the first upload of a process).
_PIL_FORMATS = {TIFF: TiffImagePlugin.TiffImageFile.format, JPEG: JpegImagePlugin.JpegImageFile.format,
                PNG: PngImagePlugin.PngImageFile.format}
_TIFF_LAYOUTS = ((TiffImagePlugin.STRIPOFFSETS, TiffImagePlugin.STRIPBYTECOUNTS),
                 (TiffImagePlugin.TILEOFFSETS, TiffImagePlugin.TILEBYTECOUNTS))
_HEAD_BYTES = 1024  # PDF readers accept the header anywhere in the first KiB


@dataclass(frozen=True)
class FileInfo:
    mime_type: str
    pages: int


def sniff(head: bytes) -> str | None:
    """The MIME type from magic bytes, or None when it is not one we accept."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return TIFF
    if b"%PDF-" in head[:_HEAD_BYTES]:
        return PDF
    return None


def inspect_file(path: Path, *, max_pages: int, max_pixels: int) -> FileInfo:
    """Type and page count of ``path``; raises a ``SohoaError`` with a stable code if unfit."""
    with path.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
    mime = sniff(head)
    if mime is None:
        raise UnsupportedType(
            "only PDF, TIFF, JPEG and PNG files are accepted",
            detail={"accepted": list(SUPPORTED_TYPES)},
        )
    pages = _pdf_pages(path) if mime == PDF else _image_pages(path, mime, max_pixels)
    if pages > max_pages:
        raise TooManyPages(
            f"the document has {pages} pages; the limit is {max_pages}",
            detail={"pages": pages, "max_pages": max_pages},
        )
    return FileInfo(mime, pages)


def _pdf_pages(path: Path) -> int:
    if not _has_eof_marker(path):
        raise CorruptFile("the PDF is truncated (no %%EOF marker)")
    try:
        # An open file, not a path: given a path pypdf reads the whole file into memory.
        with warnings.catch_warnings(), path.open("rb") as fh:
            warnings.simplefilter("ignore")
            reader = PdfReader(fh, strict=False)
            if reader.is_encrypted and not _opens_without_password(reader):
                raise EncryptedPdf("the PDF is password-protected; upload an unprotected copy")
            pages = len(reader.pages)
    except SohoaError:
        raise
    except Exception as exc:  # pypdf raises many types for broken files
        raise CorruptFile("the PDF cannot be read", detail={"reason": without_paths(str(exc))[:200]}) from exc
    if pages == 0:
        raise CorruptFile("the PDF has no pages")
    return pages


def _has_eof_marker(path: Path) -> bool:
    """Every complete PDF (incremental updates included) ends with %%EOF, give or take junk."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        fh.seek(max(0, size - 2048))
        return b"%%EOF" in fh.read()


def _opens_without_password(reader: PdfReader) -> bool:
    """Owner-password-only PDFs (an empty user password) are readable by every tool."""
    try:
        return bool(reader.decrypt(""))
    except Exception:  # noqa: BLE001 - pypdf raises anything for an unsupported cipher or missing crypto provider
        return False


def _image_pages(path: Path, mime: str, max_pixels: int) -> int:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # bomb and corrupt-EXIF warnings: we judge ourselves
            with Image.open(path, formats=[_PIL_FORMATS[mime]]) as image:
                if image.format != _PIL_FORMATS[mime]:
                    raise CorruptFile(f"the file looks like {mime} but cannot be read as one")
                frames = getattr(image, "n_frames", 1)
                size = path.stat().st_size
                for index in range(frames):
                    image.seek(index)  # broken directory chains show up here
                    _check_pixels(image, index, max_pixels)
                    if mime == TIFF:
                        _check_tiff_page_data(image, index, frames, size)
                if mime == JPEG:
                    image.draft("L", (1, 1))  # 1/8 scale: all entropy-coded data, little else
                    image.load()
            if mime == PNG:
                _check_png_chunks(path)
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge("an image has more pixels than allowed", detail={"max_pixels": max_pixels}) from exc
    except SohoaError:
        raise
    except Exception as exc:
        raise CorruptFile("the image cannot be read", detail={"reason": without_paths(str(exc))[:200]}) from exc
    return frames


def _check_tiff_page_data(image: Image.Image, index: int, frames: int, file_size: int) -> None:
    """The current TIFF page's strips (or tiles) all lie inside the file: a cut file has
    some past its end. Nothing is decoded, unless the layout tags are missing or odd (old
    writers of uncompressed files left out the byte counts): then the first and the last
    pages are decoded instead."""
    assert isinstance(image, TiffImagePlugin.TiffImageFile)
    tags = image.tag_v2
    for offsets_tag, counts_tag in _TIFF_LAYOUTS:
        offsets, counts = _tag_ints(tags.get(offsets_tag)), _tag_ints(tags.get(counts_tag))
        if offsets:
            break
    if not offsets or len(offsets) != len(counts):
        if index in (0, frames - 1):
            image.load()
        return
    end = max(offset + count for offset, count in zip(offsets, counts, strict=True))
    if end > file_size:
        raise CorruptFile(f"the TIFF is truncated (page {index + 1} needs {end} bytes, the file has "
                          f"{file_size})", detail={"page": index + 1})


def _tag_ints(value: object) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,)
    if isinstance(value, tuple) and all(isinstance(v, int) for v in value):
        return value
    return ()


def _check_png_chunks(path: Path) -> None:
    """Every chunk from the first IDAT through IEND is present and matches its CRC (Pillow's
    ``verify``, which reads the file without inflating it); raises if not."""
    with Image.open(path, formats=[_PIL_FORMATS[PNG]]) as image:
        image.verify()


def _check_pixels(image: Image.Image, index: int, max_pixels: int) -> None:
    width, height = image.size
    if width * height > max_pixels:
        raise ImageTooLarge(
            f"page {index + 1} has {width}x{height} pixels; the limit is {max_pixels}",
            detail={"page": index + 1, "width": width, "height": height, "max_pixels": max_pixels},
        )
