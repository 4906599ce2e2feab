"""The one module that starts Tesseract: its environment, its errors, its language check."""

from __future__ import annotations

import stat
from pathlib import Path

import pytesseract
import pytest

from workers.ocr.tesseract import TesseractError, installed_languages, ocr_image, orientation_report


def fake_tesseract(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "fake-tesseract"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_every_tesseract_runs_single_threaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """OMP_THREAD_LIMIT=1 reaches the child: the module sets it where Tesseract is started
    (no launcher, compose file or image needs to); a stand-in program shows its environment."""
    # $2 is the output base: write what a real pass writes, with the child's limit as text
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(fake_tesseract(tmp_path, (
        'printf "limit=%s" "$OMP_THREAD_LIMIT" > "$2.txt"; '
        'printf "level\\tpage_num\\tblock_num\\tpar_num\\tline_num\\tword_num\\t'
        'left\\ttop\\twidth\\theight\\tconf\\ttext\\n" > "$2.tsv"'))))
    result = ocr_image(tmp_path / "page.pgm", languages="vie", dpi=300, timeout=10, workdir=tmp_path)
    assert result.text == "limit=1"


def test_a_failing_tesseract_fails_the_page_with_its_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd",
                        str(fake_tesseract(tmp_path, 'echo "Error in pixReadStream" >&2; exit 1')))
    with pytest.raises(TesseractError, match="pixReadStream") as caught:
        ocr_image(tmp_path / "page.pgm", languages="vie", dpi=300, timeout=10, workdir=tmp_path)
    assert caught.value.code == "ocr_failed"


def test_missing_tesseract_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(tmp_path / "no-such-tesseract"))
    with pytest.raises(TesseractError, match="not installed"):
        ocr_image(tmp_path / "page.pgm", languages="vie", dpi=300, timeout=10, workdir=tmp_path)
    with pytest.raises(TesseractError, match="not installed"):
        installed_languages()


def test_real_tesseract_lists_vietnamese_and_has_no_osd_answer_for_a_blank_page(tmp_path: Path) -> None:
    from PIL import Image

    assert {"vie", "osd"} <= installed_languages()
    blank = tmp_path / "blank.pgm"
    Image.new("L", (400, 300), 255).save(blank)
    assert orientation_report(blank, dpi=100, timeout=30, workdir=tmp_path) is None
