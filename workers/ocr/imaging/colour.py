"""Colour and resolution preparation: what Tesseract should see of a colour or low-dpi scan.

Seals are red and signatures blue; text is black. The brightest channel of a pixel (HSV
"value") is high for any saturated ink and low only for black, so it makes seal and
signature light grey; a levels curve then turns that light grey white. Measured on
``bench/ocr`` (10 stamped pages, 300 and 600 dpi, seal + signature over text), CER:
Tesseract's own grey 9.4%, red channel 1.8%, red + levels 1.5%, max channel 1.8%,
max channel + levels at 180: 0.23% (kept). The same levels curve on grey photocopies
made them worse (29 → 58 errors on 8 pages): grey pages are left as they are.
"""

from __future__ import annotations

from PIL import Image, ImageChops

# Pages under 150 dpi are enlarged (LANCZOS): on 4 generated 100 dpi pages CER fell from 59
# to 3 errors; 150 dpi pages read as well without (0 errors either way), so they are left
# alone. Enlarged to 150 dpi: Tesseract's time grows with the pixels (4x at 200, 2.25x at
# 150) and the reading got no better beyond 150. Measured with ``bench/ocr`` (pipeline CER,
# target 200 / 150 / no enlarging): the office mix's 13 fax pages 3.51 / 2.86 / 2.17 %,
# the 8 generated low-dpi pages (4 at 100 dpi) 0.07 / 0.00 / 1.10 %,
# the samples' two faxes 7.63 / 7.56 / 7.44 %; the fax pages in 25.4 s at 200, 15.9 s at 150.
# Only pages whose ink has grey edges are enlarged (``is_bilevel``): the text size does not
# tell the sets apart (x-height cores 8-11 px, line pitch 17-18 px on all three), the pixels
# do. The generated low-dpi pages are anti-aliased (0.47 mid-grey pixels per dark pixel) and
# gain from enlarging (2.27 -> 0.00 % on its four 100 dpi pages); the mix's faxes are black
# and white (0.000, also through JPEG) and lose (2.17 -> 2.86 %): resampling a staircase edge
# only blurs it, there is no sub-pixel position in the greys to recover.
UPSCALE_BELOW_DPI = 150
UPSCALE_TARGET_DPI = 150
BILEVEL_MID_SHARE = 0.1  # fewer mid-grey (64-191) pixels than this per dark (< 128) one
WHITE_POINT = 180  # grey at or above this becomes paper white (seal red is ~205 in max)
COLOUR_CHROMA, MIN_COLOUR_SHARE = 60, 0.0005  # JPEG fringes around black text stay below
PAPER_SHARE = 0.75  # on dim paper the white point drops to this share of the paper's grey


def to_gray(image: Image.Image) -> Image.Image:
    """8-bit grey the OCR reads best: colour inks dropped from colour scans, else plain grey.

    Memory: the colour test runs on a 1/16 preview, and the brightest channel is built in
    horizontal strips, so beyond the decoded page only one grey plane is ever allocated.
    """
    if image.mode == "L":
        return image
    if image.mode not in {"RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "P", "PA"}:
        return image.convert("L")
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    if not _has_colour_ink(rgb.reduce(4) if min(rgb.size) >= 400 else rgb):
        return rgb.convert("L")  # a grey page in RGB (e.g. a rendered PDF): read it as grey
    value = _brightest_channel(rgb)
    white = min(WHITE_POINT, round(_paper_grey(value) * PAPER_SHARE))
    lut = [min(255, v * 255 // max(1, white)) for v in range(256)]
    return value.point(lut)


def _brightest_channel(rgb: Image.Image, strip: int = 256) -> Image.Image:
    """max(R, G, B) per pixel (HSV value), computed strip by strip into one grey plane."""
    value = Image.new("L", rgb.size)
    for top in range(0, rgb.height, strip):
        r, g, b = rgb.crop((0, top, rgb.width, min(rgb.height, top + strip))).split()
        value.paste(ImageChops.lighter(ImageChops.lighter(r, g), b), (0, top))
    return value


def _has_colour_ink(rgb: Image.Image) -> bool:
    """More than ``MIN_COLOUR_SHARE`` of the pixels strongly saturated (seal, signature)?"""
    r, g, b = rgb.split()
    value = ImageChops.lighter(ImageChops.lighter(r, g), b)
    chroma = ImageChops.subtract(value, ImageChops.darker(ImageChops.darker(r, g), b)).histogram()
    return sum(chroma[COLOUR_CHROMA:]) > MIN_COLOUR_SHARE * rgb.width * rgb.height


def _paper_grey(gray: Image.Image) -> int:
    """The 90th percentile grey: the paper's brightness (text covers far less than 10%)."""
    hist = gray.histogram()
    target, seen = 0.9 * sum(hist), 0
    for level, count in enumerate(hist):
        seen += count
        if seen >= target:
            return level
    return 255


def upscale_factor(dpi: int, gray: Image.Image) -> float:
    """How much to enlarge a low-resolution scan (1.0 = leave it): a page under
    ``UPSCALE_BELOW_DPI`` whose ink has grey edges; a black-and-white one (a fax) reads
    better at its own pixels (see ``BILEVEL_MID_SHARE``)."""
    if not UPSCALE_BELOW_DPI or dpi >= UPSCALE_BELOW_DPI or is_bilevel(gray):
        return 1.0
    return UPSCALE_TARGET_DPI / dpi


def is_bilevel(gray: Image.Image) -> bool:
    """Is the grey page black and white: its ink edges hard, with (almost) no mid-grey
    pixels beside the dark ones? Fax and thresholded scans are; a grey scan or an
    anti-aliased render is not (its edge greys carry where a stroke really lies, which
    enlarging hands on to Tesseract). One histogram: ~1 ms on a 100 dpi page."""
    hist = gray.histogram()
    dark = sum(hist[:128])
    return dark > 0 and sum(hist[64:192]) < BILEVEL_MID_SHARE * dark


def upscale(gray: Image.Image, factor: float) -> Image.Image:
    size = (round(gray.width * factor), round(gray.height * factor))
    return gray.resize(size, Image.Resampling.LANCZOS)
