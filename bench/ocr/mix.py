"""A held-out office mix like the one issue 16 was measured on: ``python -m bench.ocr.generate
OUT --mix`` writes ``OUT/files/*`` and ``OUT/truth.json``.

80 files, 102 pages: 92 scanned pages in 7 scan conditions plus 10 born-digital pages;
formats JPEG-in-PDF, multi-page TIFF, JPEG and PNG; 22 files hold two documents (one page
each). The truth has the shape of ``shared/samples/truth.json`` (file, profile, dpi, pages,
text, fields.names), so ``bench.ocr.run`` scores it per condition and
``bench/e2e_samples.py`` uploads it as one batch and searches each person's name.

| condition | pages | how it is made |
|---|---|---|
| clean300 | 13 | 300 dpi grey, JPEG in PDF or PNG |
| office200 | 13 | 200 dpi, tinted paper, light noise, skew under 1.2° |
| poor200 | 13 | 200 dpi, low contrast, noise, blur, speckles, skew up to 3° |
| rotated | 13 | 200 dpi fed sideways (90°/270°) or upside down |
| stamped | 14 | 200 dpi colour: red seal + blue signature over the signature block |
| photocopy | 13 | 150 dpi photocopy (``generate.photocopy``) |
| fax100 | 13 | 100 dpi, thresholded to black and white with noise |
| born_digital | 10 | fpdf2 PDF with a Unicode text layer |
"""

from __future__ import annotations

import io
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from bench.ocr.content import Line, make_page, truth_text
from bench.ocr.degrade import photocopy, skew, stamp
from bench.ocr.render import born_digital_pdf, render_page


@dataclass(frozen=True)
class Condition:
    name: str
    pages: int
    two_document_files: int
    dpi: int | None
    formats: tuple[str, ...]  # cycled over the one-document files
    multi_formats: tuple[str, ...]  # cycled over the two-document files


CONDITIONS = (
    Condition("clean300", 13, 3, 300, ("pdf", "pdf", "png"), ("pdf",)),
    Condition("office200", 13, 3, 200, ("pdf", "png", "jpg"), ("tif", "pdf")),
    Condition("poor200", 13, 3, 200, ("tif", "pdf"), ("tif", "pdf")),
    Condition("rotated", 13, 3, 200, ("jpg", "pdf"), ("pdf",)),
    Condition("stamped", 14, 3, 200, ("pdf", "tif", "jpg"), ("tif", "pdf")),
    Condition("photocopy", 13, 3, 150, ("pdf", "png"), ("pdf",)),
    Condition("fax100", 13, 3, 100, ("tif", "pdf"), ("tif",)),
    Condition("born_digital", 10, 1, None, ("pdf",), ("pdf",)),
)
ROTATIONS = (90, 270, 180, 90, 270)  # sideways far more often than upside down


def generate_mix(out: Path, seed: int) -> list[dict]:
    rng = random.Random(seed)
    files = out / "files"
    files.mkdir(parents=True, exist_ok=True)
    truth: list[dict] = []
    total = sum(c.pages - c.two_document_files for c in CONDITIONS)
    serials = rng.sample(range(total), total)  # conditions interleaved in upload (name) order
    for cond in CONDITIONS:
        singles = cond.pages - 2 * cond.two_document_files
        plan = [1] * singles + [2] * cond.two_document_files
        rng.shuffle(plan)
        one = two = 0
        for count in plan:
            if count == 1:
                fmt, one = cond.formats[one % len(cond.formats)], one + 1
            else:
                fmt, two = cond.multi_formats[two % len(cond.multi_formats)], two + 1
            pages = [make_page(rng) for _ in range(count)]
            name = f"files/mix{serials.pop():03d}-{cond.name}.{fmt}"
            write_file(out / name, cond, fmt, pages, rng)
            truth.append({"file": name, "profile": cond.name, "dpi": cond.dpi, "pages": count,
                          "text": "\n".join(truth_text(p) for p in pages),
                          "fields": {"names": [person_name(p) for p in pages]}})
    truth.sort(key=lambda e: e["file"])
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), "utf-8")
    return truth


def person_name(lines: list[Line]) -> str:
    """The person the document is about (what an officer searches for)."""
    for line in lines:
        match = re.match(r"Họ, chữ đệm, tên: (.+)$", line.text) or re.match(r"Điều 1\. Hỗ trợ ông/bà (.+?),", line.text)
        if match:
            return match.group(1).title()
    raise ValueError("no person on the page")


def write_file(path: Path, cond: Condition, fmt: str, pages: list[list[Line]], rng: random.Random) -> None:
    if cond.name == "born_digital":
        born_digital_pdf(pages, path)
        return
    assert cond.dpi is not None
    images = [scan(cond, lines, rng, index) for index, lines in enumerate(pages)]
    dpi = cond.dpi
    if fmt == "pdf":
        images[0].save(path, "PDF", save_all=True, append_images=images[1:], resolution=dpi, quality=88)
    elif fmt == "tif":
        images[0].save(path, "TIFF", save_all=True, append_images=images[1:], compression="tiff_lzw",
                       dpi=(dpi, dpi))
    elif fmt == "jpg":
        images[0].save(path, "JPEG", quality=88, dpi=(dpi, dpi))
    else:
        images[0].save(path, "PNG", dpi=(dpi, dpi))


def scan(cond: Condition, lines: list[Line], rng: random.Random, index: int) -> Image.Image:
    """One page as the clerk's scanner hands it over under ``cond``."""
    assert cond.dpi is not None
    image = render_page(lines, cond.dpi)
    nprng = np.random.default_rng(rng.randint(0, 2**31))
    if cond.name == "office200":
        image = _noisy(skew(image, rng.choice((-1, 1)) * rng.uniform(0.2, 1.2)), nprng, paper=242, ink=20, sigma=5)
    elif cond.name == "poor200":
        image = skew(image, rng.choice((-1, 1)) * rng.uniform(0.5, 3.0)).filter(ImageFilter.GaussianBlur(0.9))
        image = _noisy(image, nprng, paper=225, ink=55, sigma=12, speckles=0.001)
    elif cond.name == "rotated":
        image = _noisy(image, nprng, paper=245, ink=15, sigma=4)
        image = image.rotate(ROTATIONS[rng.randrange(len(ROTATIONS))], expand=True)
    elif cond.name == "stamped":
        image = stamp(skew(image, rng.uniform(-0.8, 0.8)), rng, cond.dpi)
    elif cond.name == "photocopy":
        image = photocopy(image, rng)
    elif cond.name == "fax100":
        a = np.asarray(image, dtype=np.float32) + nprng.normal(0, 30, (image.height, image.width))
        image = Image.fromarray(np.where(a < 150, 0, 255).astype(np.uint8))
    return _jpeg_round_trip(image) if cond.name != "fax100" else image


def _noisy(image: Image.Image, nprng: np.random.Generator, *, paper: int, ink: int, sigma: float,
           speckles: float = 0.0) -> Image.Image:
    a = np.asarray(image, dtype=np.float32)
    a = ink + a * (paper - ink) / 255 + nprng.normal(0, sigma, a.shape)
    if speckles:
        a[nprng.random(a.shape) < speckles] = 30
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def _jpeg_round_trip(image: Image.Image) -> Image.Image:
    """Scanners compress: every page carries JPEG artefacts, whatever file it ends in."""
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90)
    return Image.open(io.BytesIO(buf.getvalue())).convert(image.mode)
