"""Page orientation: Tesseract OSD (``--psm 0``) on a reduced preview, only when needed.

OSD runs only for a page whose ink profile says the lines run top to bottom
(``deskew.is_sideways``: 90°/270°) AND whose marks test (``deskew.sideways_turn``: ink above
vs below the lines' x-height cores) gives no clear direction, so upright pages never pay for
it and most sideways ones do not either. Upside-down pages are caught by the marks test
before the pass, or after it by a low mean word confidence (measured on ``bench/ocr``: ~45
against ~94 for upright pages) and read again turned 180° (``workers.ocr.pipeline.reorient``).
"""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image

from workers.ocr.tesseract import OcrResult, orientation_report

SUSPECT_CONFIDENCE = 70.0  # first-pass mean confidence below this: ask OSD
MIN_WORDS = 3  # fewer words than this: nothing to judge by, ask OSD too
PREVIEW_DPI = 100  # OSD is reliable at ~100 dpi and costs a third of a 300 dpi pass
MIN_OSD_CONFIDENCE = 1.5

_TRANSPOSE = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
              270: Image.Transpose.ROTATE_90}  # clockwise degrees → PIL's counter-clockwise


def looks_misoriented(result: OcrResult) -> bool:
    """Does the first pass look like a sideways or upside-down page?"""
    confidence = result.mean_confidence
    return confidence is None or len(result.words) < MIN_WORDS or confidence < SUSPECT_CONFIDENCE


def detect_rotation(image: Image.Image, *, dpi: int, workdir: Path, timeout: float) -> int:
    """Clockwise degrees (0/90/180/270) that make the page upright; 0 when unsure.

    OSD reads a ~``PREVIEW_DPI`` grey preview written from the page already in memory; when
    that preview has too few legible characters (small print, a short page) it is asked
    once more at full resolution. Only sideways pages get here, so the retry is rare.
    """
    gray = image if image.mode == "L" else image.convert("L")
    for scale in dict.fromkeys((min(1.0, PREVIEW_DPI / dpi), 1.0)):
        degrees = _osd(gray, scale, dpi=dpi, workdir=workdir, timeout=timeout)
        if degrees is not None:
            return degrees
    return 0


def _osd(gray: Image.Image, scale: float, *, dpi: int, workdir: Path, timeout: float) -> int | None:
    preview_path = workdir / "osd-preview.pgm"
    preview = gray if scale >= 1.0 else gray.resize(
        (max(1, round(gray.width * scale)), max(1, round(gray.height * scale))), Image.Resampling.BOX)
    preview.save(preview_path, format="PPM")
    del preview
    try:
        report = orientation_report(preview_path, dpi=max(1, round(dpi * scale)), timeout=timeout,
                                    workdir=workdir)
    finally:
        preview_path.unlink(missing_ok=True)
    return parse_osd(report) if report and "Rotate:" in report else None


def parse_osd(output: str) -> int:
    """The rotation from OSD's report, or 0 if absent (too little text) or not confident."""
    rotate = re.search(r"Rotate:\s*(\d+)", output)
    confidence = re.search(r"Orientation confidence:\s*([\d.]+)", output)
    if not rotate or not confidence or float(confidence.group(1)) < MIN_OSD_CONFIDENCE:
        return 0
    degrees = int(rotate.group(1)) % 360
    return degrees if degrees in _TRANSPOSE else 0


def turn(image: Image.Image, degrees: int) -> Image.Image:
    """``image`` turned ``degrees`` clockwise (lossless transpose)."""
    return image.transpose(_TRANSPOSE[degrees])


def rotate_image(image: Path, degrees: int, target: Path) -> tuple[int, int]:
    """Write ``image`` turned ``degrees`` clockwise to ``target`` as PNM; its size."""
    with Image.open(image) as im:
        turned = turn(im, degrees)
        turned.save(target, format="PPM")
        return turned.size
