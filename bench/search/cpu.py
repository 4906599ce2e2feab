"""CPU time per search and per indexed page on the embedded index, for before/after comparisons.

    .venv/bin/python -m bench.search.scale --pages 100000 --index /tmp/idx-100k.sqlite3 --rounds 1
    .venv/bin/python -m bench.search.cpu /tmp/idx-100k.sqlite3 --rebuild-pages 30000

On a machine other jobs load, wall-clock percentiles of two runs are not comparable; the
process time of a search is what that load adds least to. The queries are those ``scale.py``
drew for its index (``<index>.queries.json``), plus the names with a ``valid_on`` filter and
with facets (the paths that join a page's record). ``--rebuild-pages`` also times a rebuild
of that many generated pages into a scratch file.

To measure another checkout, make a directory holding ``bench`` of this tree and ``search``
and ``sohoa`` of the other (symlinks), then run ``PYTHONPATH=<dir> python -m bench.search.cpu``
from it against an index that checkout built; alternate the two, several times.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.search.corpus import Generator, to_indexed
from search.base import SearchFilters, SearchQuery
from search.sqlite_fts import SqliteSearchBackend


def searches(index: Path, repeat: int) -> None:
    queries: dict[str, list[str]] = json.loads(Path(f"{index}.queries.json").read_text(encoding="utf-8"))["queries"]
    names = queries["name"]
    kinds = {kind: [SearchQuery(q=q) for q in qs] for kind, qs in queries.items()}
    kinds["name + valid_on"] = [SearchQuery(q=q, filters=SearchFilters(valid_on=date(2024, 6, 1))) for q in names]
    kinds["name + facets"] = [SearchQuery(q=q, facets=True) for q in names]
    engine = SqliteSearchBackend(index)
    for kind, qs in kinds.items():
        for q in qs:  # warm
            engine.search(q)
        cpu = []
        for _ in range(repeat):
            for q in qs:
                started = time.process_time()
                engine.search(q)
                cpu.append((time.process_time() - started) * 1e3)
        cpu.sort()
        print(f"{kind:16} n={len(cpu):4d}  cpu p50 {statistics.median(cpu):6.2f} ms  "
              f"p95 {cpu[int(len(cpu) * 0.95)]:6.2f} ms  mean {statistics.fmean(cpu):6.2f} ms")


def rebuild(pages: int) -> None:
    docs = [to_indexed(d) for d in Generator(7).stream(pages, prefix="x")]
    with tempfile.TemporaryDirectory() as tmp:
        engine = SqliteSearchBackend(Path(tmp) / "cpu.sqlite3")
        started = time.process_time()
        engine.rebuild(docs)
        cpu = time.process_time() - started
        size = (Path(tmp) / "cpu.sqlite3").stat().st_size
    made = sum(len(d.pages) for d in docs)
    print(f"rebuild of {made} pages: cpu {cpu:.1f} s ({cpu / made * 1e3:.2f} ms a page), file {size / 1e6:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("index", type=Path, help="An index built by bench.search.scale (its queries beside it).")
    parser.add_argument("--repeat", type=int, default=3, help="Timed runs of each query.")
    parser.add_argument("--rebuild-pages", type=int, default=0, help="Also time a rebuild of this many pages.")
    args = parser.parse_args()
    searches(args.index, args.repeat)
    if args.rebuild_pages:
        rebuild(args.rebuild_pages)


if __name__ == "__main__":
    main()
