"""A held-out office mix like the one issue 16 was measured on: ``python -m bench.ocr.generate
OUT --mix`` writes ``OUT/files/*`` and ``OUT/truth.json``.

Pages are laid out like the sample scans (Liberation Serif, a two-column header, an italic
place-date line; truth in that reading order). 80 files, 102 pages: 92 scanned pages in 7
scan conditions plus 10 born-digital pages; formats JPEG-in-PDF, multi-page TIFF, JPEG and
PNG; 22 files hold two documents (one page each). The truth has the shape of the samples'
``truth.json`` (file, profile, dpi, pages, text, fields.names), so ``bench.ocr.run``
scores it per condition and ``bench/e2e_samples.py`` uploads it as one batch and searches
each person's name.

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
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from bench.ocr.content import Line, make_page, truth_text
from bench.ocr.degrade import photocopy, skew, stamp
from bench.ocr.render import A4_MM, born_digital_pdf

# The sample scans' typeface (Debian: fonts-liberation2); DejaVu Serif where it is missing.
LIBERATION = Path("/usr/share/fonts/truetype/liberation2")
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
FONTS = {
    "regular": ("LiberationSerif-Regular.ttf", "DejaVuSerif.ttf"),
    "bold": ("LiberationSerif-Bold.ttf", "DejaVuSerif-Bold.ttf"),
    "italic": ("LiberationSerif-Italic.ttf", "DejaVuSerif-Italic.ttf"),
}
SIZE_PT, LEADING = 13.0, 2.0


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
                          "text": "\n".join(truth_text(p) if cond.dpi is None else reading_order(p)
                                             for p in pages),
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


def _font(style: str, size_px: float) -> ImageFont.FreeTypeFont:
    liberation, dejavu = FONTS[style]
    path = LIBERATION / liberation if (LIBERATION / liberation).is_file() else DEJAVU / dejavu
    return ImageFont.truetype(str(path), round(size_px))


def _columns(lines: list[Line]) -> tuple[list[Line], list[Line], list[Line]]:
    """(left header column, right header column, the rest) of a ``content`` page: issuing
    body and number on the left, national motto and place-date on the right, as printed."""
    head, rest = lines[:6], lines[6:]
    return [head[0], head[1], head[4]], [head[2], head[3], head[5]], rest


def reading_order(lines: list[Line]) -> str:
    """The truth in the order Tesseract reads the two-column header, whose lines share their
    baselines: row by row, left then right, then the body."""
    left, right, rest = _columns(lines)
    rows = [f"{a.text} {b.text}" for a, b in zip(left, right, strict=True)]
    return "\n".join([*rows, *(line.text for line in rest)])


def render_office_page(lines: list[Line], dpi: int) -> Image.Image:
    """An upright A4 page laid out like the sample scans: two-column header, italic
    place-date, centred bold title, body, signature block on the right."""
    px = dpi / 25.4
    width, height = round(A4_MM[0] * px), round(A4_MM[1] * px)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    size = SIZE_PT / 72 * dpi
    step = size * LEADING / 1.3
    left, right, rest = _columns(lines)
    top = 20 * px
    for column, centre in ((left, 0.25), (right, 0.68)):
        y = top
        for i, line in enumerate(column):
            style = "italic" if column is right and i == 2 else "bold" if i < 2 else "regular"
            font = _font(style, size * 0.92)
            draw.text((width * centre - draw.textlength(line.text, font=font) / 2, y), line.text, fill=0, font=font)
            y += step
    y = top + 4 * step
    margin, avail = 30 * px, width - 50 * px
    for line in rest:
        style = "bold" if line.style in ("title", "header", "sign") else "regular"
        font = _font(style, size * (1.1 if line.style == "title" else 1.0))
        text_w = draw.textlength(line.text, font=font)
        if text_w > avail:
            font = _font(style, size * avail / text_w)
            text_w = draw.textlength(line.text, font=font)
        if line.style in ("title", "header"):
            x = (width - text_w) / 2
            y += step * 0.3 if line.style == "title" else 0
        elif line.style == "sign":
            x = width * 0.72 - text_w / 2
        else:
            x = margin
        draw.text((x, y), line.text, fill=0, font=font)
        y += step * (1.3 if line.style == "title" else 1.0)
    return image


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
    image = render_office_page(lines, cond.dpi)
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
    a = ink + np.asarray(image, dtype=np.float64) * (paper - ink) / 255 + nprng.normal(0, sigma, image.size[::-1])
    if speckles:
        a[nprng.random(a.shape) < speckles] = 30
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def _jpeg_round_trip(image: Image.Image) -> Image.Image:
    """Scanners compress: every page carries JPEG artefacts, whatever file it ends in."""
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90)
    return Image.open(io.BytesIO(buf.getvalue())).convert(image.mode)
