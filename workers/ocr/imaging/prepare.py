"""Prepare a page image for OCR: grey through the red channel, sideways pages turned,
deskew, optional upscale.

One page in memory at a time: the raster is decoded once, each step replaces the previous
image, and the result is written as an uncompressed PGM that Tesseract reads directly. A
page that needs nothing (grey, straight, enough dpi) is passed through untouched: no
encode round trip, Tesseract reads the file itself. A PNG that needs nothing is handed over
as PGM instead: Tesseract's PDF renderer re-compresses a PNG's pixels (~0.1 s of CPU a
200 dpi page, ``bench/ocr/profile.py``) where it encodes a PGM's cheaply.

The ink analysis is not run on a page decoded at a reduced scale from its JPEG
coefficients (Pillow's ``draft``, ~15 ms less on a 300 dpi page): the smoother preview
weakens the marks test, which then sent a sideways page to OSD (0.4 s) that the full
decode turns without it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from sohoa.core.errors import CorruptFile
from workers.ocr.imaging.colour import to_gray, upscale, upscale_factor
from workers.ocr.imaging.deskew import (
    MIN_CORRECTION,
    ink_points,
    is_sideways,
    looks_upside_down,
    sideways_turn,
    skew_of,
    straighten,
)
from workers.ocr.imaging.orientation import detect_rotation, turn
from workers.ocr.separator import Separator, is_separator
from workers.ocr.sources import RasterPage


@dataclass(frozen=True)
class PreparedPage:
    raster: RasterPage  # what Tesseract reads (the original raster if nothing changed)
    skew: float | None  # degrees corrected; None when none was applied
    rotation: int  # clockwise degrees turned (sideways pages, by OSD)
    steps: tuple[str, ...]
    separator: bool = False  # the page is a separator sheet: nothing to read on it


def prepare_page(raster: RasterPage, workdir: Path, *, timeout: float,
                 separator: Separator | None = None) -> PreparedPage:
    """The page as Tesseract should see it. The caller checked the pixel limit.

    With ``separator`` (the separator sheets' code and formats), a page carrying that code is reported
    as a separator sheet before anything else is done to it: the image is decoded here
    anyway, so looking for the code costs only the scan of a shrunk copy.
    """
    with _opened(raster.path) as image:
        steps = [] if image.mode == "L" else ["gray"]
        gray = _decoded(image)
        if separator is not None and is_separator(gray, raster.dpi, separator):
            return PreparedPage(raster, None, 0, (), separator=True)
        points, rotation = ink_points(gray), 0
        if is_sideways(points):
            rotation = sideways_turn(points) or detect_rotation(gray, dpi=raster.dpi, workdir=workdir,
                                                                timeout=timeout)
            if rotation in (90, 270):
                gray = turn(gray, rotation)
                points = ink_points(gray)
                steps.append("rotate")
            else:
                rotation = 0
        skew = detected = skew_of(points) if points is not None else None
        if skew is None or abs(skew) < MIN_CORRECTION:
            skew = None
        else:
            steps.append("deskew")
        if rotation == 0 and looks_upside_down(points, detected or 0.0):  # lines at their true angle
            rotation = 180
            steps.append("rotate")
        factor = upscale_factor(raster.dpi, gray)
        if factor > 1.0:
            steps.append("upscale")
        if not steps and image.format != "PNG":
            return PreparedPage(raster, None, 0, ())
    turned = rotation if rotation in (90, 270) else 0
    return _apply(gray, raster, workdir, rotation=rotation, turned=turned, skew=skew, factor=factor,
                  steps=tuple(steps))


def _apply(gray: Image.Image, raster: RasterPage, workdir: Path, *, rotation: int, turned: int,
           skew: float | None, factor: float, steps: tuple[str, ...]) -> PreparedPage:
    """The decided steps on the full page, in the order the searchable PDF's image repeats
    them (``display.drawing_matrix``): turn, straighten, enlarge; written as PGM."""
    if (rotation - turned) % 360:
        gray = turn(gray, (rotation - turned) % 360)
    if skew is not None:
        gray = straighten(gray, skew)
    dpi = raster.dpi
    if factor > 1.0:
        gray, dpi = upscale(gray, factor), round(raster.dpi * factor)
    target = workdir / "prepared.pgm"
    gray.save(target, format="PPM")
    return PreparedPage(RasterPage(target, gray.width, gray.height, dpi), skew, rotation, steps)


@contextmanager
def _opened(path: Path) -> Iterator[Image.Image]:
    """The page image opened (header only), Pillow's own bomb check off: sources checked the
    size against our own limit. A complete file with damaged pixel data is ``CorruptFile``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            with Image.open(path) as image:
                yield image
        except (OSError, SyntaxError, ValueError) as e:
            raise CorruptFile(f"cannot decode the page image: {e}") from e
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def _decoded(image: Image.Image) -> Image.Image:
    """The whole page decoded at full size as 8-bit grey (``to_gray``)."""
    gray = to_gray(image)
    gray.load()
    return gray
