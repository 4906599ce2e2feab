"""The page image a person sees in the searchable PDF: the scan's own pixels, upright.

Tesseract's page PDF embeds the image it read. After ``prepare_page`` that image is the
prepared one (grey, turned, straightened, maybe enlarged, seal and signature bleached out
to help OCR), which Tesseract JPEG-encodes into its PDF; an archive must show the scan as
it is. So when the page was prepared, Tesseract writes only the invisible text
(``textonly_pdf``) and the original scan is drawn under it here, turned and straightened by
the drawing's own transformation (one ``cm``), so the text lies over the words as it lay
over the prepared image:

- a plain JPEG scan (grey or RGB) goes in as its own bytes: nothing decoded or encoded,
  no second loss of quality (``bench/ocr/README.md``, "The scan's own pixels");
- any other scan whose pixels the preparation changed (colour, a bilevel fax, an
  enlarged page) is encoded once as JPEG, unturned (the drawing turns it);
- a page whose only change is geometric keeps Tesseract's image: the prepared page's
  pixels are the scan's, and encoding them again would cost what Tesseract's encode does.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from PIL import Image

from workers.ocr.imaging.deskew import straighten
from workers.ocr.imaging.orientation import turn

JPEG_QUALITY = 85
CHANGES_PIXELS = frozenset({"gray", "upscale"})  # prepare_page's steps that alter what a person sees
SCAN_NAME = pikepdf.Name("/Scan")


@dataclass(frozen=True)
class ShownScan:
    """How the page PDF gets the scan's image: ``as_is`` a plain JPEG's own bytes, else encoded."""

    path: Path
    as_is: bool


def shown_scan(original: Path, read: Path, steps: tuple[str, ...]) -> ShownScan | None:
    """What ``show_scan`` should draw for a page whose OCR read ``read``; None when Tesseract's
    own image is the right one (it read the original itself, or only its geometry changed
    and the scan is not a JPEG that could go in as it is)."""
    if read == original:
        return None
    with warnings.catch_warnings():  # the page passed the pixel limit before
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(original) as image:
            plain_jpeg = image.format == "JPEG" and image.mode in {"L", "RGB"}
    if plain_jpeg:
        return ShownScan(original, as_is=True)
    if CHANGES_PIXELS & set(steps):
        return ShownScan(original, as_is=False)
    return None


def show_scan(page_pdf: Path, scan: ShownScan, *, rotation: int, skew: float | None) -> None:
    """Draw ``scan`` (turned ``rotation``° clockwise, then straightened by ``skew``) under the
    text of Tesseract's text-only ``page_pdf``, over its whole page box, in place."""
    data, width, height, colour = _jpeg(scan)
    with pikepdf.open(page_pdf, allow_overwriting_input=True) as pdf:
        page = pdf.pages[0]
        image = pdf.make_stream(data)
        image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        image.Width, image.Height, image.BitsPerComponent = width, height, 8
        image.ColorSpace = pikepdf.Name.DeviceRGB if colour else pikepdf.Name.DeviceGray
        image.Filter = pikepdf.Name.DCTDecode
        if "/Resources" not in page.obj:
            page.obj.Resources = pikepdf.Dictionary()
        resources = page.obj.Resources
        if "/XObject" not in resources:
            resources.XObject = pikepdf.Dictionary()
        resources.XObject[SCAN_NAME] = image
        box = [float(v) for v in page.obj.MediaBox]
        matrix = drawing_matrix((width, height), box, rotation=rotation, skew=skew or 0.0)
        numbers = " ".join(f"{v:.6f}" for v in matrix)
        page.contents_add(f"q {numbers} cm {SCAN_NAME} Do Q\n".encode(), prepend=True)
        pdf.save(page_pdf)


def drawing_matrix(size: tuple[int, int], box: list[float], *, rotation: int,
                   skew: float) -> tuple[float, float, float, float, float, float]:
    """The ``cm`` that draws an image of ``size`` pixels (PDF's unit square) onto page ``box``
    the way ``upright`` and ``prepare_page`` lay its pixels out: turned ``rotation``°
    clockwise, then turned back by ``skew``° about the page's centre (``straighten``), then
    stretched to the box. Worked in pixel-edge coordinates, y down, then flipped into PDF's;
    each step a ``pikepdf.Matrix`` (PDF's six numbers), ``a @ b`` being a, then b."""
    w, h = size
    x0, y0, x1, y1 = box
    # unit square (u right, v up) -> the scan's pixels
    m = pikepdf.Matrix(w, 0, 0, -h, 0, h)
    # turned clockwise: where a point goes, and the page's new size
    turns = {0: (1, 0, 0, 1, 0, 0), 90: (0, 1, -1, 0, h, 0), 180: (-1, 0, 0, -1, w, h),
             270: (0, -1, 1, 0, 0, w)}
    m = m @ pikepdf.Matrix(*turns[rotation % 360])
    tw, th = (h, w) if rotation % 180 else (w, h)
    # straightened about the centre, as OpenCV's rotation by -skew (pixel centres: the edge
    # coordinates' centre is (w/2, h/2))
    t = math.radians(-skew)
    al, be = math.cos(t), math.sin(t)
    cx, cy = tw / 2, th / 2
    m = m @ pikepdf.Matrix(al, -be, be, al, cx - al * cx - be * cy, cy + be * cx - al * cy)
    # onto the page box, y up
    m = m @ pikepdf.Matrix((x1 - x0) / tw, 0, 0, -(y1 - y0) / th, x0, y1)
    a, b, c, d, e, f = m.shorthand
    return a, b, c, d, e, f


def _jpeg(scan: ShownScan) -> tuple[bytes, int, int, bool]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(scan.path) as image:
            if scan.as_is:
                return scan.path.read_bytes(), image.width, image.height, image.mode == "RGB"
            shown = displayable(image)
            buf = io.BytesIO()
            shown.save(buf, "JPEG", quality=JPEG_QUALITY)
            return buf.getvalue(), shown.width, shown.height, shown.mode == "RGB"


def displayable(image: Image.Image) -> Image.Image:
    """``image`` as 8-bit grey or RGB, the modes every encoder and screen takes."""
    if image.mode in {"L", "RGB"}:
        return image
    return image.convert("L" if image.mode in {"1", "I", "I;16", "F", "LA"} else "RGB")


def upright(image: Image.Image, rotation: int, skew: float | None) -> Image.Image:
    """The page as the OCR read it: turned ``rotation``° clockwise, then straightened by
    ``skew`` (same size, white fill), so word boxes of the OCR lie over their words. The
    API's page images come from here; the searchable PDF draws the same by ``drawing_matrix``."""
    shown = turn(image, rotation) if rotation else image
    if skew:
        shown = straighten(shown, skew)
    return shown
