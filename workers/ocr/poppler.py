"""Poppler, one page at a time: text layer (pdftotext), native image resolution
(pdfimages -list), rasterization (pdftoppm) and extraction of a page's only image
(pdfimages).

Every call names a single page (``-f N -l N``) so memory stays bounded whatever the
document's length, and every call has a timeout.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import pdf2image
from pdf2image.exceptions import PDFPageCountError, PDFPopplerTimeoutError, PDFSyntaxError

from sohoa.core.errors import CorruptFile, SohoaError


class PopplerTimeout(SohoaError):
    code, status = "page_timeout", 422


def _run(args: list[str], timeout: float) -> str:
    try:
        done = subprocess.run(args, check=True, timeout=timeout, capture_output=True)
    except subprocess.TimeoutExpired as e:
        raise PopplerTimeout(f"{args[0]} took longer than {timeout:g} s") from e
    except subprocess.CalledProcessError as e:
        message = e.stderr.decode("utf-8", "replace").strip()[-300:]
        raise CorruptFile(f"{args[0]} cannot read the page: {message}") from e
    return done.stdout.decode("utf-8", "replace")


def page_text(pdf: Path, number: int, *, timeout: float) -> str:
    """The page's text layer in reading order (empty for a pure image page)."""
    return _run(["pdftotext", "-f", str(number), "-l", str(number), "-enc", "UTF-8",
                 str(pdf), "-"], timeout)


def page_images(pdf: Path, number: int, *, timeout: float) -> tuple[int | None, bool]:
    """(highest x-ppi, every image grey or bilevel) of the page's images, from one
    ``pdfimages -list``. A page whose images are all grey can be rendered grey: a third
    of the pixels to write and read, and no colour step afterwards. (Coloured vector
    content over a grey scan renders grey then; scans with seals are colour images.)"""
    out = _run(["pdfimages", "-list", "-f", str(number), "-l", str(number), str(pdf)], timeout)
    best: int | None = None
    grey = True
    for line in out.splitlines()[2:]:  # two header lines
        cols = line.split()
        if len(cols) < 14 or cols[2] != "image":  # masks say nothing about colour
            continue
        grey = grey and cols[5] == "gray" and cols[6] == "1"
        try:
            ppi = round(float(cols[12]))
        except ValueError:
            continue
        best = ppi if best is None else max(best, ppi)
    return best, grey and best is not None


def rasterize_page(pdf: Path, number: int, *, dpi: int, workdir: Path, timeout: float,
                   gray: bool = False) -> Path:
    """Render one page to a PNM file in ``workdir`` (PNM: no compression cost, Tesseract
    reads it directly), through pdf2image (``pdftoppm``). pdf2image also runs ``pdfinfo``
    and ``pdftoppm -v`` for every call (measured: +13 ms of CPU a rendered page,
    ``python -m bench.ocr.wrapper_cost``);
    pages that are one scanned image are not rendered at all (``extract_page_image``)."""
    name = f"page-{number:04d}"
    try:
        paths = pdf2image.convert_from_path(
            pdf, dpi=dpi, first_page=number, last_page=number, output_folder=workdir, fmt="ppm",
            grayscale=gray, single_file=True, output_file=name, paths_only=True,
            timeout=math.ceil(timeout))
    except PDFPopplerTimeoutError as e:
        raise PopplerTimeout(f"pdftoppm took longer than {timeout:g} s") from e
    except (PDFPageCountError, PDFSyntaxError) as e:
        raise CorruptFile(f"pdftoppm cannot read the page: {str(e).strip()[-300:]}") from e
    image = workdir / f"{name}.{'pgm' if gray else 'ppm'}"
    if not paths or not image.is_file():
        raise CorruptFile(f"cannot rasterize page {number}")
    return image


def extract_page_image(pdf: Path, number: int, *, workdir: Path, timeout: float, grey: bool) -> Path:
    """The page's image into ``workdir`` (for a page that is nothing but that image:
    ``workers.ocr.pdf_page_image``; a plain JPEG is taken out by ``plain_jpeg_bytes``
    instead), decoded and uncompressed, so Tesseract reads it as cheaply as a rendered PNM:
    8-bit grey as TIFF (``pdfimages`` writes grey PNM as RGB PPM, three times the bytes and a
    grey conversion later), RGB as PPM, 1-bit as PBM."""
    prefix = workdir / f"page-{number:04d}"
    for stale in workdir.glob(f"{prefix.name}-*"):  # only this call's file may be found below
        stale.unlink()
    options = ["-tiff"] if grey else []
    _run(["pdfimages", *options, "-f", str(number), "-l", str(number), str(pdf), str(prefix)], timeout)
    written = sorted(workdir.glob(f"{prefix.name}-*"))
    if len(written) != 1:
        raise CorruptFile(f"cannot extract the image of page {number}")
    return written[0]
