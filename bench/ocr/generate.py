"""Generate benchmark pages: ``python -m bench.ocr.generate OUT [--pages N] [--seed S]``.

Writes ``OUT/<condition>/NNN.<ext>`` and ``OUT/truth.json`` (same shape as
``shared/samples/truth.json``: file, profile, dpi, pages, text, plus ``angle`` where a page
was turned). Conditions are what clerks really scan; see ``CONDITIONS``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFilter

from bench.ocr.content import make_page, truth_text
from bench.ocr.legacy import to_tcvn3, to_vni
from bench.ocr.render import born_digital_pdf, garbled_pdf, render_page

CONDITIONS = (
    "clean", "skewed", "rot90", "rot180", "rot270", "stamped",
    "photocopy", "lowdpi", "born_digital", "garbled", "hires600",
)


def skew(image: Image.Image, angle: float) -> Image.Image:
    return image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)


def stamp(image: Image.Image, rng: random.Random, dpi: int) -> Image.Image:
    """A red round seal and a blue signature drawn over the signature block (multiply blend)."""
    rgb = image.convert("RGB")
    ink = Image.new("RGB", rgb.size, (255, 255, 255))
    draw = ImageDraw.Draw(ink)
    w, h = rgb.size
    px = dpi / 25.4
    cx, cy = w * rng.uniform(0.62, 0.72), h * rng.uniform(0.50, 0.58)
    for radius, width in ((20 * px, int(1.2 * px)), (15 * px, int(0.5 * px))):
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=(205, 35, 45), width=width)
    star = [(cx + 5 * px * math.cos(a), cy - 5 * px * math.sin(a))
            for a in (math.pi / 2 + k * 4 * math.pi / 5 for k in range(5))]
    draw.polygon(star, fill=(205, 35, 45))
    for k in range(24):  # the seal's lettering, as small arcs of ink around the ring
        a = 2 * math.pi * k / 24
        x, y = cx + 17.5 * px * math.cos(a), cy + 17.5 * px * math.sin(a)
        draw.rectangle((x - 0.7 * px, y - 0.7 * px, x + 0.7 * px, y + 0.7 * px), fill=(205, 35, 45))
    sx, sy = w * 0.58, h * rng.uniform(0.45, 0.6)
    points = [(sx + t * 4, sy + 18 * px * 0.1 * math.sin(t / 9.0) * (1 + t / 200)) for t in range(160)]
    draw.line(points, fill=(30, 50, 170), width=int(0.6 * px), joint="curve")
    return Image.fromarray(np.minimum(np.asarray(rgb), np.asarray(ink)))


def photocopy(image: Image.Image, rng: random.Random) -> Image.Image:
    """Contrast loss, toner noise, speckles, a dark edge and a slight blur."""
    nprng = np.random.default_rng(rng.randint(0, 2**31))
    a: npt.NDArray[np.floating] = np.asarray(image.filter(ImageFilter.GaussianBlur(0.8)), dtype=np.float32)
    a = 60 + a * (205 - 60) / 255
    a += nprng.normal(0, 14, a.shape)
    speck = nprng.random(a.shape) < 0.002
    a[speck] = 40
    a[:, : a.shape[1] // 40] *= 0.45
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def _save(image: Image.Image, path: Path, dpi: int, **kw) -> None:
    image.save(path, dpi=(dpi, dpi), **kw)


def generate(out: Path, pages: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    truth: list[dict] = []
    for cond in CONDITIONS:
        (out / cond).mkdir(parents=True, exist_ok=True)
        count = max(1, pages // 3) if cond == "hires600" else pages
        for i in range(count):
            lines = make_page(rng)
            entry = _one(out, cond, i, lines, rng)
            entry.update(profile=cond, pages=1, text=truth_text(lines))
            truth.append(entry)
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), "utf-8")
    return truth


def _one(out: Path, cond: str, i: int, lines, rng: random.Random) -> dict:
    name = f"{cond}/{i:03d}"
    if cond == "born_digital":
        born_digital_pdf([lines], out / f"{name}.pdf")
        return {"file": f"{name}.pdf", "dpi": None}
    if cond == "garbled":
        garbled_pdf([lines], out / f"{name}.pdf", to_tcvn3 if i % 2 == 0 else to_vni)
        return {"file": f"{name}.pdf", "dpi": 200}
    dpi = {"lowdpi": (100, 150)[i % 2], "photocopy": 200, "hires600": 600}.get(cond, 300)
    image = render_page(lines, dpi)
    entry: dict = {"file": f"{name}.png", "dpi": dpi}
    if cond == "skewed":
        angle = rng.choice((-1, 1)) * rng.uniform(1, 5)
        image, entry["angle"] = skew(image, angle), round(angle, 2)
    elif cond.startswith("rot"):
        angle = int(cond[3:])
        image, entry["angle"] = image.rotate(angle, expand=True), angle
    elif cond in ("stamped", "hires600"):
        image = stamp(image, rng, dpi)
        entry["file"] = f"{name}.jpg"
        _save(image, out / entry["file"], dpi, quality=88)
        return entry
    elif cond == "photocopy":
        image = photocopy(image, rng)
    _save(image, out / entry["file"], dpi)
    return entry


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--pages", type=int, default=3, help="pages per condition")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    truth = generate(args.out, args.pages, args.seed)
    print(f"wrote {len(truth)} pages to {args.out}")


if __name__ == "__main__":
    main()
