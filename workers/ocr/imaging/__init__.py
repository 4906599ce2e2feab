"""Imaging stages between rasterization and OCR (no FastAPI, no database).

``prepare_page`` (grey via the red channel, deskew, optional upscale) before the pass;
``looks_misoriented`` / ``detect_rotation`` / ``rotate_image`` after a pass that read a
sideways or upside-down page. Each stage was kept because it lowered the character error
rate on ``bench/ocr`` (see its README for the figures).
"""

from __future__ import annotations

from workers.ocr.imaging.orientation import detect_rotation, looks_misoriented, rotate_image
from workers.ocr.imaging.prepare import PreparedPage, prepare_page

__all__ = ["PreparedPage", "detect_rotation", "looks_misoriented", "prepare_page", "rotate_image"]
