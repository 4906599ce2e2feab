"""Where one page's time goes, stage by stage, for each condition:
``python -m bench.ocr.profile DIR [--repeat 5] [--json FILE]``.

DIR holds ``truth.json`` (the office mix of ``python -m bench.ocr.generate DIR --mix``, or
``../shared/samples``). For every condition the first one-page file is run through the
worker's real job, ``workers.jobs.process_document``, in this process, on a real SQLite
database and search index in a temp dir (Redis is not needed: the job does not enqueue),
``--repeat`` times after one warm-up document (a worker preloads the same way); where a
condition has no one-page file, its shortest file's times are divided by its pages. The stages
are the service's own functions wrapped with a timer (``STAGES``); a stage's time is its
own, without the stages it calls (Tesseract's time excludes the TSV parsing it calls), and
``other`` is the rest of the job. ``raw tesseract`` is ``tesseract -l vie --psm 3`` on the
page image e2e_samples hands raw Tesseract, timed in the same loop. Values are medians, ms;
``--cpu`` measures CPU time (this process and the programs it waited for) instead of wall
time, which a machine busy with other work inflates.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.e2e_samples import page_images
from bench.ocr.systems import MIME
from sohoa.core.config import Settings
from sohoa.core.db import migrate, session_scope
from sohoa.core.models import Batch, BatchItem, Document, Page
from sohoa.services import Services
from workers.jobs import context
from workers.ocr.tesseract import ocr_image

TESSERACT = "tesseract txt+tsv+pdf"

# (stage label, module, attribute): wrapped where the caller looks the name up.
STAGES: list[tuple[str, str, str]] = [
    ("text layer check", "workers.ocr.sources", "PdfSource.text_layer"),
    ("image read / extraction", "workers.ocr.sources", "PdfSource.rasterize"),
    ("image read / extraction", "workers.ocr.sources", "ImageSource.rasterize"),
    ("decode for preparation", "workers.ocr.imaging.prepare", "_load_gray"),  # before this branch
    ("decode for preparation", "workers.ocr.imaging.prepare", "_decoded"),
    ("colour and seal", "workers.ocr.imaging.prepare", "to_gray"),
    ("ink analysis", "workers.ocr.imaging.prepare", "ink_points"),
    ("orientation", "workers.ocr.imaging.prepare", "is_sideways"),
    ("orientation", "workers.ocr.imaging.prepare", "sideways_turn"),
    ("orientation", "workers.ocr.imaging.prepare", "looks_upside_down"),
    ("orientation", "workers.ocr.imaging.prepare", "turn"),
    ("orientation: OSD", "workers.ocr.imaging.prepare", "detect_rotation"),
    ("deskew", "workers.ocr.imaging.prepare", "skew_of"),
    ("deskew", "workers.ocr.imaging.prepare", "straighten"),
    ("upscaling", "workers.ocr.imaging.prepare", "upscale"),
    ("prepared image write", "workers.ocr.pipeline", "prepare_page"),
    ("word TSV parsing", "workers.ocr.tesseract", "parse_tsv"),
    ("180° retry", "workers.ocr.pipeline", "reorient"),
    ("page PDF: original image", "workers.ocr.pipeline", "restore_original_image"),  # before session 22
    ("page PDF: original image", "workers.ocr.pipeline", "shown_scan"),
    ("page PDF: original image", "workers.ocr.pipeline", "show_scan"),
    ("page PDF: resized", "workers.ocr.tesseract", "resize_page_pdf"),
    ("database writes", "workers.jobs.document", "claim_document"),
    ("database writes", "workers.jobs.document", "ensure_pages"),
    ("database writes", "workers.jobs.document", "record_page"),
    ("database writes", "workers.jobs.document", "finish_document"),
    ("searchable PDF merge", "workers.jobs.document", "publish_searchable_pdf"),
    ("extraction", "workers.jobs.document", "refresh_from_document"),
    ("indexing", "workers.jobs.document", "index_document"),
]
# labels whose wrapped function may contain others: their own time is what is left
ORDER = [*dict.fromkeys(label for label, _, _ in STAGES[:14]), TESSERACT,
         *dict.fromkeys(label for label, _, _ in STAGES[14:])]


def cpu_clock() -> float:
    """CPU seconds of this process and of its waited-for children (Tesseract, poppler, qpdf):
    what a page costs on a machine other work shares, where wall time also counts waiting."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


class Timer:
    """Exclusive time per label: a frame's elapsed time minus its timed children's."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self.clock = clock
        self._stack: list[float] = []  # children's time of each open frame

    def wrap(self, label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = self.clock()
            self._stack.append(0.0)
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = self.clock() - started
                children = self._stack.pop()
                self.totals[label] += elapsed - children
                if self._stack:
                    self._stack[-1] += elapsed
        return timed


@contextmanager
def instrumented(timer: Timer) -> Iterator[None]:
    import importlib

    saved: list[tuple[object, str, object]] = []
    for label, module_name, attr in STAGES:
        owner: object = importlib.import_module(module_name)
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part)
        if not hasattr(owner, name):
            continue
        original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
        saved.append((owner, name, original))
        setattr(owner, name, timer.wrap(label, original))
    try:
        yield
    finally:
        for owner, name, original in reversed(saved):
            setattr(owner, name, original)


def pick_pages(root: Path, truth: list[dict]) -> list[dict]:
    """Per condition its first file with the fewest pages (one, where there is one), in the
    truth's order of conditions; times of a longer file are divided by its pages."""
    picked: dict[str, dict] = {}
    for entry in truth:
        best = picked.get(entry["profile"])
        if best is None or entry["pages"] < best["pages"]:
            picked[entry["profile"]] = entry
    return list(picked.values())


def add_document(services: Services, path: Path, salt: str) -> str:
    """Register ``path`` as a new document (a salted checksum: the same file again is a new one)."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    stored = services.archive.put_original(path, digest)
    with session_scope(services.sessions) as session:
        batch = Batch(agency_code="UBND-BENCH", procedure_code="BENCH")
        session.add(batch)
        session.flush()
        doc = Document(sha256=hashlib.sha256(data + salt.encode()).hexdigest(), size_bytes=len(data),
                       mime_type=MIME[path.suffix.lower()], filename=path.name, original_path=stored.path,
                       first_batch_id=batch.id, agency_code=batch.agency_code,
                       procedure_code=batch.procedure_code)
        session.add(doc)
        session.flush()
        session.add(BatchItem(batch_id=batch.id, position=0, filename=path.name, document_id=doc.id))
        return doc.id


def raw_seconds(path: Path, tmp: Path, clock: Callable[[], float]) -> float:
    images = page_images([path], tmp)
    started = clock()
    for image in images:
        subprocess.run(["tesseract", str(image), "stdout", "-l", "vie", "--psm", "3"], check=True,
                       capture_output=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"})
    return clock() - started


def profile(root: Path, repeat: int, clock: Callable[[], float] = time.perf_counter) -> dict[str, dict[str, float]]:
    from workers.jobs.document import process_document

    truth = json.loads((root / "truth.json").read_text("utf-8"))
    entries = pick_pages(root, truth)
    runs: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        settings = Settings(_env_file=None, var_dir=Path(tmp) / "var",
                            database_url=f"sqlite:///{tmp}/sohoa.sqlite3",
                            search_sqlite_path=Path(tmp) / "search.sqlite3")
        settings.archive_root.mkdir(parents=True, exist_ok=True)
        migrate(settings.database_url)
        with Services.build(settings) as services:
            context.install(services)
            process_document(add_document(services, root / entries[0]["file"], "warm-up"))
            for round_ in range(repeat):  # conditions in turn, so a load spike hits all alike
                for entry in entries:
                    path = root / entry["file"]
                    doc_id = add_document(services, path, f"{round_}")
                    timer = Timer(clock)
                    context.install(services, ocr_engine=timer.wrap(TESSERACT, ocr_image))
                    with instrumented(timer):
                        started = clock()
                        timer.wrap("job", process_document)(doc_id)
                        wall = clock() - started
                    check_done(services, doc_id)
                    cell, pages = runs[entry["profile"]], entry["pages"]
                    for label, seconds in timer.totals.items():
                        cell["other" if label == "job" else label].append(seconds / pages)
                    cell["whole job"].append(wall / pages)
                    with tempfile.TemporaryDirectory(dir=tmp) as raw_tmp:
                        cell["raw tesseract"].append(raw_seconds(path, Path(raw_tmp), clock) / pages)
            context.clear()
    return {cond: {label: statistics.median(v + [0.0] * (repeat - len(v))) * 1000 for label, v in cells.items()}
            for cond, cells in runs.items()}


def check_done(services: Services, doc_id: str) -> None:
    with session_scope(services.sessions) as session:
        doc = session.get(Document, doc_id)
        assert doc is not None
        if doc.status != "indexed":
            raise SystemExit(f"{doc.filename}: {doc.status} {doc.error_code} {doc.error_message}")
        rows = session.query(Page.rotation, Page.skew, Page.duration_ms).filter(Page.document_id == doc_id).all()
        shown = "; ".join(f"rotation {r}, skew {s}, {ms} ms" for r, s, ms in rows)
        print(f"  {doc.filename}: {shown}", file=sys.stderr)


def table(result: dict[str, dict[str, float]]) -> str:
    conds = list(result)
    labels = [*ORDER, "other", "whole job", "raw tesseract"]
    width = max(10, *(len(c) for c in conds)) + 1
    head = f"{'stage (ms, median)':<26}" + "".join(f"{c:>{width}}" for c in conds)
    rows = [head, "-" * len(head)]
    for label in labels:
        if not any(result[c].get(label) for c in conds):
            continue
        if label == "whole job":
            rows.append("-" * len(head))
        rows.append(f"{label:<26}" + "".join(f"{result[c].get(label, 0.0):>{width}.0f}" for c in conds))
    ratio = [result[c]["raw tesseract"] / result[c]["whole job"] for c in conds]
    rows.append(f"{'raw / whole job':<26}" + "".join(f"{r:>{width}.2f}" for r in ratio))
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path, help="folder with truth.json")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the medians here")
    parser.add_argument("--cpu", action="store_true",
                        help="CPU time (this process + its programs) instead of wall time: steadier on a busy machine")
    args = parser.parse_args(argv)
    result = profile(args.root, args.repeat, cpu_clock if args.cpu else time.perf_counter)
    print(f"{'CPU' if args.cpu else 'wall'} time per page")
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), "utf-8")


if __name__ == "__main__":
    main()
