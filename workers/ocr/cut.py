"""The pages of one part as a file of their own: a portal asking for one citizen's result
gets that paper document, not the whole stack it was scanned in.

PDF pages are copied with qpdf (the pages' own objects: scanned images and text layers as
they are); frames of a multi-page TIFF are copied into a new TIFF with lossless deflate
(the pixels as scanned). A single JPEG/PNG is one page: a part of it is the whole file.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from PIL import Image

from workers.ocr.searchable_pdf import QPDF_TIMEOUT_PER_PAGE, SearchablePdfError


def cut_pdf(source: Path, first: int, last: int, out: Path) -> None:
    """Pages ``first``..``last`` (1-based, inclusive) of ``source`` into ``out``."""
    args = ["qpdf", "--empty", "--warning-exit-0", "--pages", str(source), f"{first}-{last}", "--", str(out)]
    try:
        subprocess.run(args, check=True, timeout=30 + QPDF_TIMEOUT_PER_PAGE * (last - first + 1),
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except subprocess.CalledProcessError as e:
        raise SearchablePdfError(f"qpdf failed: {(e.stderr or b'').decode('utf-8', 'replace')[-500:]}") from e
    except (subprocess.TimeoutExpired, FileNotFoundError) as e:
        raise SearchablePdfError(f"qpdf failed: {e}") from e


def cut_frames(source: Path, first: int, last: int, out: Path) -> None:
    """Frames ``first``..``last`` of an image file into a multi-page TIFF (lossless)."""
    saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # stored pages passed the pixel check
    try:
        with Image.open(source) as image:
            frames = []
            for number in range(first, last + 1):
                image.seek(number - 1)
                frames.append(image.copy())
            dpi = image.info.get("dpi")
    finally:
        Image.MAX_IMAGE_PIXELS = saved
    extra = {"dpi": dpi} if dpi else {}
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate", **extra)
