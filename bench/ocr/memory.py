"""Peak memory of one worker on one big page: ``python -m bench.ocr.memory [FILE]``.

Without FILE it renders a 600 dpi A4 colour page with a red seal (the heaviest page a clerk
is likely to scan) and reads it through ``process_page`` in this fresh process, then prints
the Python process's peak RSS. Tesseract runs as a child; its own peak is printed from
``/usr/bin/time -v`` on the prepared page when that tool exists.
"""

from __future__ import annotations

import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MIME = {".jpg": "image/jpeg", ".png": "image/png", ".pdf": "application/pdf", ".tif": "image/tiff"}


def main() -> None:
    from sohoa.core.config import Settings
    from workers.ocr.pipeline import process_page
    from workers.ocr.sources import open_source
    from workers.ocr.tesseract import ocr_image

    if len(sys.argv) == 3 and sys.argv[1] == "--make":
        _big_page(Path(sys.argv[2]))
        return
    with tempfile.TemporaryDirectory(prefix="bench-mem-") as tmp:
        path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tmp) / "a4-600dpi-colour.jpg"
        if not path.exists():  # drawn by a child process so its memory is not counted here
            subprocess.run([sys.executable, "-m", "bench.ocr.memory", "--make", str(path)], check=True)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        settings = Settings(var_dir=Path(tmp))
        source = open_source(path, MIME[path.suffix.lower()], settings)
        started = time.monotonic()
        outcome = process_page(source, 1, settings=settings, engine=ocr_image)
        source.close()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"{path.name}: {outcome.status} {outcome.width}x{outcome.height} @ {outcome.dpi} dpi, "
              f"{time.monotonic() - started:.1f} s")
        print(f"python peak RSS {peak / 1024:.0f} MiB ({before / 1024:.0f} MiB before the page)")
        _tesseract_peak(path, outcome.dpi or 300, Path(tmp))


def _big_page(path: Path) -> None:
    from bench.ocr.content import make_page
    from bench.ocr.generate import stamp
    from bench.ocr.render import render_page

    rng = random.Random(1)
    image = stamp(render_page(make_page(rng), 600), rng, 600)
    image.save(path, dpi=(600, 600), quality=88)


def _tesseract_peak(path: Path, dpi: int, tmp: Path) -> None:
    if not shutil.which("time") and not Path("/usr/bin/time").exists():
        return
    from PIL import Image

    from workers.ocr.imaging.colour import to_gray

    gray = tmp / "prepared.pgm"
    with Image.open(path) as image:
        to_gray(image).save(gray)
    done = subprocess.run(["/usr/bin/time", "-v", "tesseract", str(gray), str(tmp / "o"), "-l", "vie",
                           "--psm", "3", "--dpi", str(dpi), "txt", "tsv", "pdf"],
                          capture_output=True, text=True, env={"OMP_THREAD_LIMIT": "1", "PATH": "/usr/bin:/bin"})
    for line in done.stderr.splitlines():
        if "Maximum resident" in line:
            print(f"tesseract peak RSS {int(line.split()[-1]) / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
