"""Tesseract, through pytesseract: every call of the program, with its timeout and errors.

The page pass, the orientation check (OSD) and the installed-languages check of ``sohoa
run`` all start Tesseract here, so the command lines, the timeout and the error mapping
live in one module (STYLE: one module per external program).

One recognition pass per page writes the plain text, the TSV of words with boxes and
confidences and the page's searchable PDF (invisible text over the image it read, or the
text alone with ``textonly_pdf`` when the caller draws the scan) at once, so text,
confidences and PDF always agree and no page is read twice. pytesseract's
``image_to_*`` helpers take one output each (or several without ``--psm``/``--dpi``), so
the pass uses its lower-level ``run_tesseract`` (a config string, the output extensions
and a timeout). The TSV is asked for with ``-c tessedit_create_tsv=1``: ``run_tesseract``
drops a ``tsv`` extension, as pytesseract's own multi-output call does.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Protocol

import pytesseract
from pytesseract import TesseractError as PytesseractError
from pytesseract import TesseractNotFoundError

from sohoa.core.errors import SohoaError
from sohoa.domain.vntext import nfc
from workers.ocr.searchable_pdf import resize_page_pdf

# Tesseract must not start OpenMP threads: parallelism comes from worker processes, one per
# core. pytesseract starts Tesseract with this process's environment, and every Tesseract
# of the service starts from this module, so this is the one place it is set.
os.environ["OMP_THREAD_LIMIT"] = "1"


class TesseractError(SohoaError):
    """Tesseract exited with an error on this page."""

    code, status = "ocr_failed", 422


class TesseractTimeout(TesseractError):
    """The page took longer than ``page_timeout_seconds``; only this page fails."""

    code = "page_timeout"


@dataclass(frozen=True)
class OcrWord:
    text: str
    conf: float
    left: int
    top: int
    width: int
    height: int
    block: int
    par: int
    line: int


@dataclass(frozen=True)
class OcrResult:
    text: str  # NFC
    words: list[OcrWord]
    pdf: Path | None = None  # the page as a searchable PDF, in the caller's workdir

    @property
    def mean_confidence(self) -> float | None:
        confs = [w.conf for w in self.words if w.conf >= 0]
        return round(sum(confs) / len(confs), 2) if confs else None

    def words_json(self) -> list[dict[str, object]]:
        """The words as plain dicts for the page row. Built field by field: ``asdict`` deep-copies
        every value (1.4 ms against 0.1 ms of CPU for a page of 150 words)."""
        names = [f.name for f in fields(OcrWord)]
        return [{name: getattr(w, name) for name in names} for w in self.words]


class OcrEngine(Protocol):
    """What the pipeline calls to read one page image (swappable for fault injection)."""

    def __call__(
        self, image: Path, *, languages: str, dpi: int, timeout: float, workdir: Path,
        image_in_pdf: bool = True,
    ) -> OcrResult: ...


# Told no credible resolution (below 70 dpi), Tesseract works out the text's size from the
# page itself (its x-height: "Estimating resolution as ..."), as it does for any image
# without one, and scales its layout analysis by that. Told the scan's dpi instead, it read
# the office mix and the samples with the same CER (every condition within 0.02 points but
# the stamped pages' raw grey, which the pipeline does not read) for 3.6-3.7 % more CPU
# (``bench/ocr/README.md``, "Tesseract's own resolution"). Its PDF renderer lays the page
# out at the resolution it was told, so the page PDF is sized for the real dpi afterwards.
# Below ``ESTIMATED_FROM_DPI`` (faxes, 100 dpi) the letters are too few pixels for its estimate:
# the mix's faxes read 2.17 % told their dpi, 2.26 % estimated; they are told it.
TOLD_DPI, ESTIMATED_FROM_DPI = 1, 150


def ocr_image(image: Path, *, languages: str, dpi: int, timeout: float, workdir: Path,
              image_in_pdf: bool = True) -> OcrResult:
    """Read one page image with a hard timeout; the child is killed when it expires.
    ``dpi`` is the scan's: the page PDF is sized for it (from 150 dpi, Tesseract itself sizes
    the text, ``TOLD_DPI``). Without ``image_in_pdf`` the page PDF holds only the invisible
    text (Tesseract's ``textonly_pdf``: the caller draws the scan under it, and Tesseract
    spares the image's encode)."""
    base = workdir / "ocr"
    told = TOLD_DPI if dpi >= ESTIMATED_FROM_DPI else dpi
    text_only = "" if image_in_pdf else " -c textonly_pdf=1"
    with _errors("OCR", timeout):
        pytesseract.pytesseract.run_tesseract(
            str(image), str(base), extension="txt pdf", lang=languages,
            config=f"--psm 3 --dpi {told} -c tessedit_create_tsv=1{text_only}", timeout=timeout)
    text = base.with_suffix(".txt").read_text(encoding="utf-8")
    words = parse_tsv(base.with_suffix(".tsv").read_text(encoding="utf-8"))
    pdf = base.with_suffix(".pdf")
    if not pdf.is_file():
        return OcrResult(text=nfc(text).strip(), words=words)
    if told != dpi:
        resize_page_pdf(pdf, laid_out_at=told, dpi=dpi)
    return OcrResult(text=nfc(text).strip(), words=words, pdf=pdf)


def parse_tsv(tsv: str) -> list[OcrWord]:
    """Words (level 5 rows with text) from Tesseract's TSV output."""
    words: list[OcrWord] = []
    reader = csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    for row in reader:
        text = (row.get("text") or "").strip()
        if row.get("level") != "5" or not text:
            continue
        words.append(OcrWord(
            text=nfc(text), conf=round(float(row["conf"]), 2),
            left=int(row["left"]), top=int(row["top"]),
            width=int(row["width"]), height=int(row["height"]),
            block=int(row["block_num"]), par=int(row["par_num"]), line=int(row["line_num"]),
        ))
    return words


def orientation_report(image: Path, *, dpi: int, timeout: float, workdir: Path) -> str | None:
    """Tesseract's OSD (``--psm 0``) report of ``image``, None when it wrote none (too few
    characters to tell)."""
    base = workdir / "osd"
    with _errors("orientation detection", timeout):
        try:
            pytesseract.pytesseract.run_tesseract(str(image), str(base), extension="osd", lang=None,
                                                  config=f"--psm 0 --dpi {dpi}", timeout=timeout)
        except PytesseractError:
            return None  # e.g. "Too few characters": no answer, not a failed page
    report = base.with_suffix(".osd")
    try:
        return report.read_text(encoding="utf-8") if report.is_file() else None
    finally:
        report.unlink(missing_ok=True)


def installed_languages() -> set[str]:
    """The language data Tesseract has (``tesseract --list-langs``)."""
    with _errors("listing languages", 30.0):
        return set(pytesseract.get_languages())


@contextmanager
def _errors(what: str, timeout: float) -> Iterator[None]:
    """pytesseract's failures as this service's errors with stable codes."""
    try:
        yield
    except TesseractNotFoundError as e:
        raise TesseractError("tesseract is not installed") from e
    except PytesseractError as e:
        message = str(e.message or "").strip()[-500:]
        raise TesseractError(f"tesseract failed: {message or e.status}") from e
    except RuntimeError as e:
        if "timeout" not in str(e).lower():  # pytesseract's word for a killed child
            raise
        raise TesseractTimeout(f"{what} took longer than {timeout:g} s", detail={"timeout": timeout}) from e
