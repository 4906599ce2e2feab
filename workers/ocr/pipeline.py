"""One page through the pipeline, as plain stages a driver calls in order.

    text layer? ──yes──► use it (no OCR)
         └─no──► rasterize at native dpi (pixel guard first) ──► prepare (grey via red
                 channel; lines run top to bottom? OSD on a preview, turn; deskew)
                 ──► OCR (one pass) ──► reads like an upside-down page (low confidence)?
                 ──yes──► turn 180°, OCR again, keep the more confident reading

Each stage takes the page's inputs and returns its output; new stages (orientation,
deskew, preprocessing, searchable PDF) slot in between without touching the job. A page
that fails becomes a failed ``PageOutcome`` with a code; its siblings carry on. A transient
fault (``sohoa.core.faults``: disk full, a dependency down, the worker's shutdown) is not the
page's: it propagates, and the job puts the document back in the queue.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sohoa.core.config import Settings
from sohoa.core.errors import SohoaError
from sohoa.core.faults import is_transient
from sohoa.core.redact import without_paths
from sohoa.core.vocab import PageStatus, TextSource
from sohoa.domain.vntext import nfc
from workers.ocr.imaging import looks_misoriented, prepare_page, rotate_image
from workers.ocr.imaging.display import show_scan, shown_scan
from workers.ocr.separator import Separator
from workers.ocr.sources import PageSource, RasterPage
from workers.ocr.tesseract import OcrEngine, OcrResult, OcrWord

log = logging.getLogger(__name__)


@dataclass
class PageOutcome:
    number: int
    status: str
    source: str | None = None
    text: str | None = None
    confidence: float | None = None
    word_count: int | None = None
    needs_review: bool = False
    width: int | None = None
    height: int | None = None
    dpi: int | None = None
    words: list[dict[str, object]] | None = field(default=None, repr=False)
    error_code: str | None = None
    error_message: str | None = None
    duration_ms: int = 0
    rotation: int | None = None  # clockwise degrees turned to read it upright
    skew: float | None = None  # degrees of skew corrected
    pdf_path: Path | None = None  # OCR'd page as a searchable PDF (a temp file the caller stores)
    separator: bool = False  # a separator sheet (settings.separator_barcode): not read, in no part
    top_text: str | None = None  # the lines printed in the top part of the page (boundary detection)


def process_page(source: PageSource, number: int, *, settings: Settings, engine: OcrEngine) -> PageOutcome:
    """Read page ``number``; never raises for a problem confined to this page, always for a
    transient fault."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"sohoa-p{number:04d}-") as tmp:
        try:
            outcome = _read_page(source, number, settings=settings, engine=engine, workdir=Path(tmp))
        except Exception as e:
            if is_transient(e):
                raise  # not this page's fault: the job stops and the document waits
            if isinstance(e, SohoaError):
                outcome = _failed(number, e.code, e.message)
            else:  # a broken page must not sink its siblings
                log.warning("page %d unreadable: %r", number, e)
                outcome = _failed(number, "page_unreadable", f"{type(e).__name__}: {e}")
        if outcome.pdf_path is not None:
            outcome.pdf_path = _keep(outcome.pdf_path)
    outcome.duration_ms = round((time.monotonic() - started) * 1000)
    return outcome


def _read_page(source: PageSource, number: int, *, settings: Settings, engine: OcrEngine,
               workdir: Path) -> PageOutcome:
    layer = source.text_layer(number)
    if layer is not None:
        return text_layer_outcome(number, layer)
    timeout = float(settings.page_timeout_seconds)
    original = source.rasterize(number, workdir)
    prepared = prepare_page(original, workdir, timeout=timeout, separator=Separator.from_settings(settings))
    if prepared.separator:
        return separator_outcome(number, original)
    raster = prepared.raster
    scan = shown_scan(original.path, raster.path, prepared.steps)  # None: Tesseract's image shows it
    result = ocr(raster, settings=settings, engine=engine, workdir=workdir, image_in_pdf=scan is None)
    rotation = prepared.rotation
    if looks_misoriented(result):
        raster, result, turned = reorient(raster, result, settings=settings, engine=engine,
                                          workdir=workdir, image_in_pdf=scan is None)
        rotation = (rotation + turned) % 360
    if result.pdf is not None and scan is not None:  # show the scan as it is
        show_scan(result.pdf, scan, rotation=rotation, skew=prepared.skew)
    outcome = ocr_outcome(number, raster, result, settings)
    outcome.rotation, outcome.skew = rotation, prepared.skew
    return outcome


def reorient(raster: RasterPage, first: OcrResult, *, settings: Settings, engine: OcrEngine,
             workdir: Path, image_in_pdf: bool = True) -> tuple[RasterPage, OcrResult, int]:
    """Second chance for a page that read like an upside-down one: turn it 180° and read it
    again, keeping the turned reading only if it is more confident.

    Sideways pages were turned before the pass (``prepare_page``), so a page whose lines run
    across but read badly is upside down or simply poor; trying 180° costs one pass, less
    than OSD plus a pass (measured on ``bench/ocr``), and a poor upright page keeps its
    first reading.
    """
    turned_dir = workdir / "turned"
    turned_dir.mkdir()
    path = turned_dir / "page.pnm"
    width, height = rotate_image(raster.path, 180, path)
    turned = RasterPage(path, width, height, raster.dpi)
    second = ocr(turned, settings=settings, engine=engine, workdir=turned_dir, image_in_pdf=image_in_pdf)
    if (second.mean_confidence or 0.0) <= (first.mean_confidence or 0.0):
        path.unlink(missing_ok=True)
        return raster, first, 0
    return turned, second, 180


def ocr(raster: RasterPage, *, settings: Settings, engine: OcrEngine, workdir: Path,
        image_in_pdf: bool = True) -> OcrResult:
    return engine(raster.path, languages=settings.ocr_languages, dpi=raster.dpi,
                  timeout=float(settings.page_timeout_seconds), workdir=workdir,
                  image_in_pdf=image_in_pdf)


def text_layer_outcome(number: int, text: str) -> PageOutcome:
    text = nfc(text).strip()
    return PageOutcome(number, PageStatus.DONE, source=TextSource.TEXT_LAYER, text=text,
                       word_count=len(text.split()))


def separator_outcome(number: int, raster: RasterPage) -> PageOutcome:
    """A separator sheet: done, nothing to read (no OCR pass is spent on it)."""
    return PageOutcome(number, PageStatus.DONE, text="", word_count=0, width=raster.width,
                       height=raster.height, dpi=raster.dpi, separator=True)


def ocr_outcome(number: int, raster: RasterPage, result: OcrResult, settings: Settings) -> PageOutcome:
    confidence = result.mean_confidence
    return PageOutcome(
        number, PageStatus.DONE, source=TextSource.OCR, text=result.text, confidence=confidence,
        word_count=len(result.words),
        needs_review=confidence is not None and confidence < settings.ocr_low_confidence,
        width=raster.width, height=raster.height, dpi=raster.dpi, words=result.words_json(),
        pdf_path=result.pdf, top_text=top_lines(result.words, raster.height),
    )


TOP_FRACTION = 0.35  # issuing body, heading, number, date and title fit in the top third of A4


def top_lines(words: list[OcrWord], height: int, fraction: float = TOP_FRACTION) -> str | None:
    """The text lines whose top lies in the upper ``fraction`` of the page, top to bottom.

    Tesseract's reading order may put a two-column header after the body; the word boxes
    say where each line really is, which is what boundary detection asks ("at the top").
    """
    if not words or height <= 0:
        return None
    lines: dict[tuple[int, int, int], list[OcrWord]] = {}
    for word in words:
        lines.setdefault((word.block, word.par, word.line), []).append(word)
    placed = []
    for line_words in lines.values():
        top = min(w.top for w in line_words)
        if top < fraction * height:
            left = min(w.left for w in line_words)
            placed.append((top, left, " ".join(w.text for w in sorted(line_words, key=lambda w: w.left))))
    return "\n".join(text for _, _, text in sorted(placed)) or None


def _keep(path: Path) -> Path:
    """Move the page PDF out of the page's temp dir (deleted on return) for the caller."""
    fd, kept = tempfile.mkstemp(prefix="sohoa-page-", suffix=".pdf")
    os.close(fd)
    os.replace(path, kept)
    return Path(kept)


def _failed(number: int, code: str, message: str) -> PageOutcome:
    return PageOutcome(number, PageStatus.FAILED, error_code=code, error_message=without_paths(message)[:2000])
