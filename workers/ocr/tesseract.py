"""Tesseract, the one OCR program: command line, timeout, output parsing.

One recognition pass per page writes the plain text, the TSV of words with boxes and
confidences and the page's searchable PDF (the image it read + invisible text) at once
(``tesseract IMG BASE txt tsv pdf``), so text, confidences and PDF always agree and no page
is read twice. ``OMP_THREAD_LIMIT=1``: parallelism comes from worker processes.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from sohoa.core.errors import SohoaError
from sohoa.domain.vntext import nfc


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
        return [asdict(w) for w in self.words]


class OcrEngine(Protocol):
    """What the pipeline calls to read one page image (swappable for fault injection)."""

    def __call__(
        self, image: Path, *, languages: str, dpi: int, timeout: float, workdir: Path
    ) -> OcrResult: ...


def ocr_image(image: Path, *, languages: str, dpi: int, timeout: float, workdir: Path) -> OcrResult:
    """Read one page image with a hard timeout; the child is killed when it expires."""
    base = workdir / "ocr"
    args = ["tesseract", str(image), str(base), "-l", languages, "--psm", "3",
            "--dpi", str(dpi), "txt", "tsv", "pdf"]
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        subprocess.run(args, env=env, check=True, timeout=timeout,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except subprocess.TimeoutExpired as e:
        raise TesseractTimeout(f"OCR took longer than {timeout:g} s", detail={"timeout": timeout}) from e
    except subprocess.CalledProcessError as e:
        message = (e.stderr or b"").decode("utf-8", "replace").strip()[-500:]
        raise TesseractError(f"tesseract failed: {message or e.returncode}") from e
    except FileNotFoundError as e:
        raise TesseractError("tesseract is not installed") from e
    text = base.with_suffix(".txt").read_text(encoding="utf-8")
    words = parse_tsv(base.with_suffix(".tsv").read_text(encoding="utf-8"))
    pdf = base.with_suffix(".pdf")
    return OcrResult(text=nfc(text).strip(), words=words, pdf=pdf if pdf.is_file() else None)


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
