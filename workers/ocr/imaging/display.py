"""The page image a person sees in the searchable PDF: the scan's own colours, upright.

Tesseract's page PDF embeds the image it read. After ``prepare_page`` that image is grey,
with seal and signature bleached out to help OCR; an archive must show them. So when the
preparation changed the pixels, the PDF's image is replaced by the original raster with
only the geometric steps applied (turn, straighten), so the invisible text still lies over
the words. Upscaling needs nothing: the image is drawn to the page box whatever its size.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import pikepdf
from PIL import Image

from workers.ocr.imaging.deskew import straighten
from workers.ocr.imaging.orientation import turn

JPEG_QUALITY = 85


def restore_original_image(page_pdf: Path, original: Path, *, rotation: int, skew: float | None) -> None:
    """Put ``original`` (turned ``rotation``° clockwise, straightened by ``skew``) into the
    single image of Tesseract's ``page_pdf``, in place."""
    data, width, height, colour = _display_jpeg(original, rotation, skew)
    with pikepdf.open(page_pdf, allow_overwriting_input=True) as pdf:
        xobjects = pdf.pages[0].Resources.XObject
        images = [name for name, obj in xobjects.items() if obj.get("/Subtype") == "/Image"]
        if len(images) != 1:
            return  # not the page PDF we know: leave it as Tesseract wrote it
        image = xobjects[images[0]]
        image.write(data, filter=pikepdf.Name.DCTDecode)
        for key in ("/DecodeParms", "/Decode", "/SMask", "/Mask"):
            if key in image:
                del image[key]
        image.Width, image.Height, image.BitsPerComponent = width, height, 8
        image.ColorSpace = pikepdf.Name.DeviceRGB if colour else pikepdf.Name.DeviceGray
        pdf.save(page_pdf)


def _display_jpeg(original: Path, rotation: int, skew: float | None) -> tuple[bytes, int, int, bool]:
    with warnings.catch_warnings():  # the page passed the pixel limit before
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(original) as image:
            shown = upright(displayable(image), rotation, skew)
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
    searchable PDF's image and the page images of the API both come from here."""
    shown = turn(image, rotation) if rotation else image
    if skew:
        shown = straighten(shown, skew)
    return shown
