"""Colour and resolution preparation: what Tesseract should see of a colour or low-dpi scan.

Measured on ``bench/ocr`` (stamped pages, red seal + blue signature over text): Tesseract's
own grey conversion keeps the seal as dark as text (CER 11.4%); the red channel makes red
ink nearly white and keeps black and blue ink dark (CER 1.2%); the max of the channels was
in between (1.7%). So colour pages are read through their red channel.
"""

from __future__ import annotations

from PIL import Image

UPSCALE_BELOW_DPI = 0  # 0 = off; set by measurement (see ``bench/ocr/README.md``)
UPSCALE_TARGET_DPI = 300


def to_gray(image: Image.Image) -> Image.Image:
    """8-bit grey the OCR reads best: the red channel of colour scans, else plain grey."""
    if image.mode == "L":
        return image
    if image.mode in {"RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "P", "PA"}:
        rgb = image if image.mode == "RGB" else image.convert("RGB")
        return rgb.getchannel("R")
    return image.convert("L")


def upscale_factor(dpi: int) -> float:
    """How much to enlarge a low-resolution scan (1.0 = leave it)."""
    if not UPSCALE_BELOW_DPI or dpi >= UPSCALE_BELOW_DPI:
        return 1.0
    return UPSCALE_TARGET_DPI / dpi


def upscale(gray: Image.Image, factor: float) -> Image.Image:
    size = (round(gray.width * factor), round(gray.height * factor))
    return gray.resize(size, Image.Resampling.LANCZOS)
