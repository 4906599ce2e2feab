"""What the design card's packages cost over calling the programs directly:
``python -m bench.ocr.wrapper_cost [--rounds 10]``.

Alternating in one process, on one generated 200 dpi page (and that page as a one-image
PDF with a text line drawn over it, so it must be rendered):

- the page pass: ``tesseract IMG BASE -l vie --psm 3 --dpi 200 txt tsv pdf`` through
  ``subprocess.run`` against ``workers.ocr.tesseract.ocr_image`` (pytesseract's
  ``run_tesseract``);
- the render: ``pdftoppm -r 200 -f 1 -l 1 -singlefile -gray`` through ``subprocess.run``
  against ``workers.ocr.poppler.rasterize_page`` (pdf2image, which also runs ``pdfinfo`` and
  ``pdftoppm -v``).

Prints the median wall time and the median CPU time of the children (user + system) of
each, in ms; CPU time is what a busy 2-core machine pays.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fpdf import FPDF

from bench.ocr.content import make_page
from bench.ocr.mix import render_office_page
from workers.ocr.poppler import rasterize_page
from workers.ocr.tesseract import ocr_image


def _measure(fn: Callable[[], object]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    fn()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall * 1000, cpu * 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-wrap-") as tmp:
        root = Path(tmp)
        image = root / "page.png"
        render_office_page(make_page(random.Random(3)), 200).save(image, dpi=(200, 200))
        pdf = FPDF(unit="mm", format="A4")
        pdf.add_page()
        pdf.image(str(image), x=0, y=0, w=210, h=297)
        pdf.set_font("helvetica", size=10)
        pdf.text(10, 290, "drawn over the scan")
        pdf.output(str(root / "page.pdf"))
        work = root / "work"
        work.mkdir()

        cases: dict[str, Callable[[], object]] = {
            "tesseract pass, subprocess": lambda: subprocess.run(
                ["tesseract", str(image), str(work / "direct"), "-l", "vie", "--psm", "3", "--dpi", "200",
                 "txt", "tsv", "pdf"], check=True, capture_output=True),
            "tesseract pass, pytesseract": lambda: ocr_image(image, languages="vie", dpi=200, timeout=60,
                                                             workdir=work),
            "render, pdftoppm subprocess": lambda: subprocess.run(
                ["pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-singlefile", "-gray", str(root / "page.pdf"),
                 str(work / "direct")], check=True, capture_output=True),
            "render, pdf2image": lambda: rasterize_page(root / "page.pdf", 1, dpi=200, workdir=work, timeout=60,
                                                        gray=True),
        }
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, fn in cases.items():
                results[name].append(_measure(fn))
    print(f"{'call':<32}{'wall ms':>9}{'cpu ms':>9}")
    for name, values in results.items():
        print(f"{name:<32}{statistics.median(w for w, _ in values):>9.0f}"
              f"{statistics.median(c for _, c in values):>9.0f}")


if __name__ == "__main__":
    main()
