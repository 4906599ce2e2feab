"""What the searchable PDF costs: Tesseract ``txt tsv`` vs ``txt tsv pdf`` on the same page
images (one process, OMP_THREAD_LIMIT=1, alternating to cancel drift), plus the merge +
PDF/A finishing time per page and the size of the result.

    .venv/bin/python -m bench.pdf_overhead [FOLDER]   (default ../shared/samples/files)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sohoa.core.config import Settings
from workers.ocr.searchable_pdf import PagePart, build_searchable_pdf
from workers.ocr.sources import open_source

MIMES = {".pdf": "application/pdf", ".tif": "image/tiff", ".tiff": "image/tiff", ".png": "image/png",
         ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


def tesseract(image: Path, dpi: int, base: Path, configs: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(["tesseract", str(image), str(base), "-l", "vie", "--psm", "3", "--dpi", str(dpi), *configs],
                   check=True, capture_output=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    return time.perf_counter() - started


def main(folder: Path, reps: int = 2) -> None:
    settings = Settings()
    plain = with_pdf = merge = 0.0
    pages = 0
    size_in = size_out = 0
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in MIMES):
        mime = MIMES[path.suffix.lower()]
        source = open_source(path, mime, settings)
        with tempfile.TemporaryDirectory() as tmp:
            work, parts = Path(tmp), []
            for number in range(1, source.page_count + 1):
                raster = source.rasterize(number, work)
                for _ in range(reps):
                    plain += tesseract(raster.path, raster.dpi, work / "a", ["txt", "tsv"])
                    with_pdf += tesseract(raster.path, raster.dpi, work / f"p{number}", ["txt", "tsv", "pdf"])
                parts.append(PagePart(number, work / f"p{number}.pdf"))
                pages += 1
            started = time.perf_counter()
            out = work / "out.pdf"
            build_searchable_pdf(parts, path, mime, out, workdir=work, title=path.name,
                                 max_pixels=settings.max_pixels_per_page)
            merge += time.perf_counter() - started
            size_in, size_out = size_in + path.stat().st_size, size_out + out.stat().st_size
        source.close()
    n = pages * reps
    print(f"pages={pages} reps={reps}")
    print(f"tesseract txt tsv      : {plain / n:.3f} s/page")
    print(f"tesseract txt tsv pdf  : {with_pdf / n:.3f} s/page  (ratio {with_pdf / plain:.3f})")
    print(f"merge + PDF/A finishing: {merge / pages:.3f} s/page")
    print(f"total with PDF / without: {(with_pdf / n + merge / pages) / (plain / n):.3f}")
    print(f"size: originals {size_in / 1e6:.1f} MB, searchable PDFs {size_out / 1e6:.1f} MB")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared/samples/files")
