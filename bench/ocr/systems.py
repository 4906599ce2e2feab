"""The OCR systems the benchmark compares; each reads one file and returns its text.

Every function here runs in a worker process of a 2-process pool (one per core, as the
service runs), takes a plain ``Job`` and returns ``(text, pages)``. ``OMP_THREAD_LIMIT=1``
everywhere so the comparison is per core, not per thread scheduler.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

os.environ["OMP_THREAD_LIMIT"] = "1"

MIME = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
        ".tif": "image/tiff", ".tiff": "image/tiff"}


@dataclass(frozen=True)
class Job:
    path: Path
    dpi: int | None  # the scan resolution if known (PDF pages are rasterized at it)


def pipeline(job: Job) -> tuple[str, int]:
    """The service's page pipeline: sources (one page at a time) → ``process_page``."""
    from sohoa.core.config import Settings
    from workers.ocr.pipeline import process_page
    from workers.ocr.sources import open_source
    from workers.ocr.tesseract import ocr_image

    with tempfile.TemporaryDirectory(prefix="bench-pipe-") as tmp:
        settings = Settings(var_dir=Path(tmp))
        source = open_source(job.path, MIME[job.path.suffix.lower()], settings)
        try:
            texts = []
            for number in range(1, source.page_count + 1):
                outcome = process_page(source, number, settings=settings, engine=ocr_image)
                texts.append(outcome.text or "")
            return "\n".join(texts), source.page_count
        finally:
            source.close()


def raw_tesseract(job: Job) -> tuple[str, int]:
    """Plain ``tesseract -l vie --psm 3`` on the page images (multi-page TIFF read natively)."""
    with tempfile.TemporaryDirectory(prefix="bench-raw-") as tmp:
        images = (rasterize_for_raw(job.path, job.dpi, Path(tmp)) if job.path.suffix.lower() == ".pdf"
                  else (job.path,))
        return _tesseract_all(images)


def _tesseract_all(images: tuple[Path, ...]) -> tuple[str, int]:
    texts, pages = [], 0
    for image in images:
        out = subprocess.run(["tesseract", str(image), "-", "-l", "vie", "--psm", "3"],
                             check=True, capture_output=True).stdout.decode("utf-8")
        pages += max(1, out.count("\f"))
        texts.append(out.replace("\f", "\n"))
    return "\n".join(texts), pages


def ocrmypdf(job: Job) -> tuple[str, int]:
    """OCRmyPDF ``--rotate-pages --skip-text`` (plain PDF output, no optimisation)."""
    with tempfile.TemporaryDirectory(prefix="bench-omp-") as tmp:
        sidecar, out = Path(tmp) / "side.txt", Path(tmp) / "out.pdf"
        args = ["ocrmypdf", "-q", "-l", "vie", "--rotate-pages", "--skip-text", "--jobs", "1",
                "--output-type", "pdf", "--optimize", "0", "--sidecar", str(sidecar)]
        if job.path.suffix.lower() != ".pdf":
            args += ["--image-dpi", str(job.dpi or 300)]
        subprocess.run([*args, str(job.path), str(out)], check=True, capture_output=True)
        pages = sidecar.read_text("utf-8").split("\f")
        pages = pages[:-1] if len(pages) > 1 and not pages[-1].strip() else pages
        texts = [_skipped_page(out, n) if re.search(r"\[OCR skipped on page", text) else text
                 for n, text in enumerate(pages, 1)]
        return "\n".join(texts), len(pages)


def _skipped_page(pdf: Path, number: int) -> str:
    """Pages OCRmyPDF skipped keep their own text layer: read it as OCRmyPDF leaves it."""
    return subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), str(pdf), "-"],
                          check=True, capture_output=True).stdout.decode("utf-8")


def rasterize_for_raw(pdf: Path, dpi: int | None, cache: Path) -> tuple[Path, ...]:
    """PDF pages as grey PNM at the scan dpi, the cheapest way to hand a PDF to tesseract
    (timed with raw tesseract: the pipeline pays for its own rasterization too)."""
    cache.mkdir(parents=True, exist_ok=True)
    prefix = cache / pdf.stem
    subprocess.run(["pdftoppm", "-r", str(dpi or 300), "-gray", str(pdf), str(prefix)],
                   check=True, capture_output=True)
    return tuple(sorted(cache.glob(f"{pdf.stem}-*.pgm")))


def ocrmypdf_installed() -> bool:
    try:
        subprocess.run(["ocrmypdf", "--version"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        return False
    return True
