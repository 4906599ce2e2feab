"""Bytes of a page image per format, and what they cost on a slow line.

Renders the first page of every sample (``render_page``, as the API does) at the thumbnail
and screen widths in WebP, JPEG and PNG, and prints per format and width the mean bytes,
the mean PSNR against the lossless PNG (how much the lossy formats changed the pixels) and
the seconds one image takes over a 400 kbit/s line. The format the API sends by default
is chosen from these figures (see ``api/routes/pages.py``).

    .venv/bin/python bench/page_images.py --samples ../shared/samples/files
"""

from __future__ import annotations

import argparse
import io
import math
import mimetypes
from pathlib import Path

import numpy as np
from PIL import Image

from sohoa.core.config import Settings
from sohoa.core.errors import SohoaError
from sohoa.core.vocab import ImageFormat
from workers.ocr.page_image import PageGeometry, RenderRequest, render_page

LINE_BITS_PER_SECOND = 400_000
WIDTHS = (200, 1200)
MIME = {".tif": "image/tiff", ".tiff": "image/tiff"}


def pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("L"), dtype=np.float64)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a - b) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def measure(samples: Path) -> dict[tuple[ImageFormat, int], list[tuple[int, float]]]:
    settings = Settings(_env_file=None)
    out: dict[tuple[ImageFormat, int], list[tuple[int, float]]] = {}
    for path in sorted(samples.iterdir()):
        mime = MIME.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
        if mime not in {"application/pdf", "image/tiff", "image/jpeg", "image/png"}:
            continue
        for width in WIDTHS:
            try:
                rendered = {fmt: render_page(RenderRequest(path, mime, PageGeometry(1), width, fmt, settings))
                            for fmt in ImageFormat}
            except SohoaError as e:
                print(f"{path.name}: {e.code}")
                continue
            reference = pixels(rendered[ImageFormat.PNG].data)
            for fmt, image in rendered.items():
                out.setdefault((fmt, width), []).append((len(image.data), psnr(reference, pixels(image.data))))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=Path, default=Path("../shared/samples/files"))
    args = parser.parse_args()
    results = measure(args.samples)
    print(f"{'format':6} {'width':>5} {'pages':>5} {'mean KiB':>9} {'vs JPEG':>8} {'PSNR dB':>8} {'s @400k':>8}")
    for (fmt, width), rows in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        mean = sum(b for b, _ in rows) / len(rows)
        jpeg = sum(b for b, _ in results[(ImageFormat.JPEG, width)]) / len(rows)
        finite = [q for _, q in rows if math.isfinite(q)]
        quality = f"{sum(finite) / len(finite):8.1f}" if finite else "    lossless"[-8:]
        print(f"{fmt.value:6} {width:5d} {len(rows):5d} {mean / 1024:9.1f} {mean / jpeg:8.2f} {quality} "
              f"{mean * 8 / LINE_BITS_PER_SECOND:8.2f}")


if __name__ == "__main__":
    main()
