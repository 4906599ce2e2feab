"""The CPU of a document's finish alone (merge, extraction, indexing and their state writes),
without OCR'ing again: ``python -m bench.ocr.job_finish_cpu prepare DIR STATE`` then
``python -m bench.ocr.job_finish_cpu measure STATE [--rounds 3]``.

``prepare`` runs every file of DIR (``truth.json``: the office mix of ``generate --mix``)
through the worker's real job with its finish left out, and keeps the database, archive and
search index in STATE. ``measure`` copies STATE afresh for each round and runs the real
``finish_document`` on every document (the first ``--warm`` ones untimed), each stage timed
by CPU (this process and the programs it waits for, qpdf) under ``profile.STAGES``' labels
("database writes" is the finish's own state writes), so each round finishes the same
documents for the first time. Run the two trees' code alternately with ``PYTHONPATH=<tree>``
from outside the repository (a ``python`` started in the repository imports its package
first).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from bench.ocr.profile import Timer, add_document, cpu_clock, instrumented
from sohoa.core.config import Settings
from sohoa.core.db import migrate, session_scope
from sohoa.core.models import Document
from sohoa.services import Services
from workers.jobs import context, document


def settings_in(root: Path) -> Settings:
    return Settings(_env_file=None, var_dir=root / "var", database_url=f"sqlite:///{root}/sohoa.sqlite3",
                    search_sqlite_path=root / "search.sqlite3")


def prepare(samples: Path, state: Path) -> None:
    """Every file read page by page, its finish not run."""
    state.mkdir(parents=True)
    settings = settings_in(state)
    settings.archive_root.mkdir(parents=True, exist_ok=True)
    migrate(settings.database_url)
    truth = json.loads((samples / "truth.json").read_text("utf-8"))
    finish = document.finish_document
    document.finish_document = lambda ctx, document_id, attempt: None
    try:
        with Services.build(settings) as services:
            context.install(services)
            for entry in truth:
                document.process_document(add_document(services, samples / entry["file"], "finish"))
            context.clear()
    finally:
        document.finish_document = finish


def measure_round(state: Path, warm: int, profile_to: Path | None = None) -> tuple[dict[str, float], int]:
    """CPU seconds per stage for finishing every document of a fresh copy of ``state`` but the
    first ``warm`` ones, finished untimed first (a worker's statement caches are warm)."""
    with tempfile.TemporaryDirectory(prefix="bench-finish-") as tmp:
        root = Path(tmp) / "state"
        shutil.copytree(state, root)
        settings = settings_in(root)
        with Services.build(settings) as services:
            with session_scope(services.sessions) as session:
                todo = session.execute(select(Document.id, Document.attempts, Document.pages_total)
                                       .order_by(Document.created_at)).all()
            context.install(services)
            ctx = context.current()
            for doc_id, attempt, _ in todo[:warm]:
                document.finish_document(ctx, doc_id, attempt)
            timer = Timer(cpu_clock)
            profiler = cProfile.Profile(time.process_time) if profile_to else None
            with instrumented(timer):
                if profiler:
                    profiler.enable()
                for doc_id, attempt, _ in todo[warm:]:
                    document.finish_document(ctx, doc_id, attempt)
                if profiler and profile_to:
                    profiler.disable()
                    profiler.dump_stats(profile_to)
            context.clear()
            with session_scope(services.sessions) as session:
                states = session.scalars(select(Document.status)).all()
            assert all(s == "indexed" for s in states), states
    return dict(timer.totals), sum(pages or 0 for _, _, pages in todo[warm:])


def measure(state: Path, rounds: int, warm: int, profile_to: Path | None) -> None:
    runs: dict[str, list[float]] = {}
    pages = 0
    for _ in range(rounds):
        totals, pages = measure_round(state, warm, profile_to)
        totals["finish, all stages"] = sum(totals.values())
        for label, seconds in totals.items():
            runs.setdefault(label, []).append(seconds)
    print(f"CPU ms a page over {pages} pages, {rounds} rounds (each round, then the median)")
    for label, values in runs.items():
        shown = ", ".join(f"{v / pages * 1000:5.2f}" for v in values)
        print(f"{label:<26} {shown}   median {statistics.median(values) / pages * 1000:5.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("prepare")
    make.add_argument("samples", type=Path)
    make.add_argument("state", type=Path)
    run = sub.add_parser("measure")
    run.add_argument("state", type=Path)
    run.add_argument("--rounds", type=int, default=3)
    run.add_argument("--warm", type=int, default=10, help="documents finished untimed first")
    run.add_argument("--cprofile", type=Path, help="also write the timed finishes' cProfile stats here")
    args = parser.parse_args(argv)
    if args.command == "prepare":
        prepare(args.samples, args.state)
    else:
        measure(args.state, args.rounds, args.warm, args.cprofile)


if __name__ == "__main__":
    main()
