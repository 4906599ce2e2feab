"""Prepare a page image for OCR: grey through the red channel, sideways pages turned,
deskew, optional upscale.

One page in memory at a time: the raster is decoded once, each step replaces the previous
image, and the result is written as an uncompressed PGM that Tesseract reads directly. A
page that needs nothing (grey, straight, enough dpi) is passed through untouched: no
decode-encode round trip, no cost.
"""

from __future__ import annotations

import warnings
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
    gray, steps = _load_gray(raster.path)
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
    if skew is not None and abs(skew) >= MIN_CORRECTION:
        gray = straighten(gray, skew)
        steps.append("deskew")
    else:
        skew = None
    if rotation == 0 and looks_upside_down(points, detected or 0.0):  # lines at their true angle
        gray, rotation = turn(gray, 180), 180
        steps.append("rotate")
    dpi, factor = raster.dpi, upscale_factor(raster.dpi)
    if factor > 1.0:
        gray, dpi = upscale(gray, factor), round(raster.dpi * factor)
        steps.append("upscale")
    if not steps:
        return PreparedPage(raster, None, 0, ())
    target = workdir / "prepared.pgm"
    gray.save(target, format="PPM")
    return PreparedPage(RasterPage(target, gray.width, gray.height, dpi), skew, rotation, tuple(steps))


def _load_gray(path: Path) -> tuple[Image.Image, list[str]]:
    """Decode the page once, as 8-bit grey (``gray`` step when that changed anything)."""
    with warnings.catch_warnings():  # sources checked the size against our own limit
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            with Image.open(path) as image:
                steps = [] if image.mode == "L" else ["gray"]
                gray = to_gray(image)
                gray.load()
        except (OSError, SyntaxError, ValueError) as e:  # complete file, damaged pixel data
            raise CorruptFile(f"cannot decode the page image: {e}") from e
        finally:
            Image.MAX_IMAGE_PIXELS = saved
    return gray, steps
