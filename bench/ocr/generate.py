"""Generate benchmark pages: ``python -m bench.ocr.generate OUT [--pages N] [--seed S]``.

Writes ``OUT/<condition>/NNN.<ext>`` and ``OUT/truth.json`` (same shape as
``shared/samples/truth.json``: file, profile, dpi, pages, text, plus ``angle`` where a page
was turned). Conditions are what clerks really scan; see ``CONDITIONS``. ``--mix`` writes
the office mix of ``bench.ocr.mix`` instead (whole files, several formats, two-document files).
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from PIL import Image

from bench.ocr.content import make_page, truth_text
from bench.ocr.degrade import photocopy, skew, stamp
from bench.ocr.legacy import to_tcvn3, to_vni
from bench.ocr.mix import generate_mix
from bench.ocr.render import born_digital_pdf, garbled_pdf, render_page

CONDITIONS = (
    "clean", "skewed", "rot90", "rot180", "rot270", "stamped",
    "photocopy", "lowdpi", "born_digital", "garbled", "hires600",
)


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
    parser.add_argument("--mix", action="store_true",
                        help="the office mix of bench/ocr/mix.py (80 files in OUT/files) instead")
    args = parser.parse_args(argv)
    if args.mix:
        truth = generate_mix(args.out, args.seed)
        print(f"wrote {len(truth)} files, {sum(e['pages'] for e in truth)} pages to {args.out}")
        return
    truth = generate(args.out, args.pages, args.seed)
    print(f"wrote {len(truth)} pages to {args.out}")


if __name__ == "__main__":
    main()
