"""The embedded index at scale: build time, size against the raw text, latency per query kind.

    .venv/bin/python -m bench.search.scale --pages 100000 --index /work/scratch/idx-100k.sqlite3
    .venv/bin/python -m bench.search.scale --pages 1000000 --index /work/scratch/idx-1m.sqlite3 --rounds 3

The index is built once (``rebuild`` of ``bench.search.corpus`` documents, timed) and kept at
``--index`` with the queries drawn from it (``<index>.queries.json``); later runs only
measure queries (``--rebuild`` builds again). Query kinds, as the issue names them: a name
typed without diacritics, a quoted name as written, ``quyết định``, administrative phrases,
a 12-digit ID. Each query is run once to warm up, then ``--repeat`` times per round; the
rounds alternate kinds, and the per-round p95 spread is reported as the noise.

To measure another checkout (the "before" column), copy this file and ``corpus.py`` into its
``bench/search/`` and run it there with ``PYTHONPATH=.``: only the ``SearchBackend`` protocol
is used, and fields that tree's ``IndexedDocument`` lacks are left out.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.search.corpus import Generator, to_indexed
from search.base import IndexedDocument, SearchQuery
from search.sqlite_fts import SqliteSearchBackend
from sohoa.domain.vntext import folded

ADMIN_PHRASES = ("xác nhận tình trạng hôn nhân", "giấy chứng nhận đăng ký hộ kinh doanh", "trích lục khai sinh",
                 "hỗ trợ kinh phí sửa chữa nhà ở", "ủy ban nhân dân xã", "nơi cư trú")
SAMPLE = 40  # queries per kind drawn from the corpus


class Sampler:
    """Owners and IDs met while streaming the corpus, a seeded reservoir of each."""

    def __init__(self, seed: int = 11) -> None:
        self.rng = random.Random(seed)
        self.seen = 0
        self.people: list[tuple[str, str]] = []

    def offer(self, name: str, pid: str) -> None:
        self.seen += 1
        if len(self.people) < SAMPLE:
            self.people.append((name, pid))
        elif (j := self.rng.randrange(self.seen)) < SAMPLE:
            self.people[j] = (name, pid)

    def queries(self) -> dict[str, list[str]]:
        names = [n for n, _ in self.people]
        return {
            "name": [folded(n) for n in names],
            "quoted name": [f'"{n}"' for n in names],
            "quyết định": ["quyết định"],
            "admin phrase": list(ADMIN_PHRASES),
            "12-digit ID": [pid for _, pid in self.people],
        }


def build(index: Path, pages: int, seed: int) -> dict[str, Any]:
    """Build the index from scratch; return the build figures and the queries."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{index}{suffix}").unlink(missing_ok=True)
    sampler = Sampler()
    raw = {"bytes": 0, "pages": 0}

    def documents() -> Iterator[IndexedDocument]:
        for doc in Generator(seed).stream(pages):
            if doc.owner is not None:
                sampler.offer(doc.owner.name, doc.owner.pid)
            raw["bytes"] += sum(len(p.encode("utf-8")) for p in doc.pages)
            raw["pages"] += len(doc.pages)
            yield to_indexed(doc)

    backend = SqliteSearchBackend(index)
    started = time.perf_counter()
    docs = backend.rebuild(documents())
    seconds = time.perf_counter() - started
    size = sum(Path(f"{index}{s}").stat().st_size for s in ("", "-wal") if Path(f"{index}{s}").exists())
    info = {"pages": raw["pages"], "documents": docs, "raw_text_bytes": raw["bytes"], "build_seconds": seconds,
            "index_bytes": size, "queries": sampler.queries()}
    Path(f"{index}.queries.json").write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    return info


def measure(backend: SqliteSearchBackend, queries: dict[str, list[str]], repeat: int, rounds: int,
            size: int, deep: int) -> dict[str, dict[str, Any]]:
    per_kind: dict[str, list[float]] = {kind: [] for kind in queries}
    deep_kind: dict[str, list[float]] = {kind: [] for kind in queries}
    round_p95: dict[str, list[float]] = {kind: [] for kind in queries}
    totals: dict[str, list[int]] = {kind: [] for kind in queries}
    for _ in range(rounds):
        for kind, qs in queries.items():
            runs = max(repeat, -(-200 // len(qs)))  # at least ~200 timings per kind and round
            times = []
            for q in qs:
                backend.search(SearchQuery(q=q, size=size))  # warm
                for _ in range(runs):
                    t0 = time.perf_counter()
                    result = backend.search(SearchQuery(q=q, size=size))
                    times.append(time.perf_counter() - t0)
                totals[kind].append(result.total)
                for _ in range(max(1, runs // 4)):  # page ``deep`` of the same answer
                    t0 = time.perf_counter()
                    backend.search(SearchQuery(q=q, size=size, page=deep))
                    deep_kind[kind].append(time.perf_counter() - t0)
            per_kind[kind] += times
            round_p95[kind].append(_pct(times, 95))
    return {kind: {"n": len(t), "p50_ms": _pct(t, 50) * 1e3, "p95_ms": _pct(t, 95) * 1e3,
                   "p99_ms": _pct(t, 99) * 1e3, "p95_rounds_ms": [round(x * 1e3, 1) for x in round_p95[kind]],
                   "median_total": statistics.median(totals[kind]),
                   "deep_p50_ms": _pct(deep_kind[kind], 50) * 1e3, "deep_p95_ms": _pct(deep_kind[kind], 95) * 1e3}
            for kind, t in per_kind.items()}


def _pct(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--index", type=Path, required=True, help="Index file (kept between runs).")
    parser.add_argument("--rebuild", action="store_true", help="Build it again even if it exists.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5, help="Timed runs of each query per round.")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", type=int, default=20, help="Hits per search (one page of results).")
    parser.add_argument("--deep", type=int, default=50, help="The deep page also timed (page 50 by default).")
    args = parser.parse_args()
    meta_path = Path(f"{args.index}.queries.json")
    if args.rebuild or not args.index.exists() or not meta_path.exists():
        info = build(args.index, args.pages, args.seed)
    else:
        info = json.loads(meta_path.read_text(encoding="utf-8"))
    ratio = info["index_bytes"] / info["raw_text_bytes"]
    print(f"pages={info['pages']} documents={info['documents']} raw text={info['raw_text_bytes'] / 1e6:.1f} MB "
          f"index={info['index_bytes'] / 1e6:.1f} MB ({ratio:.2f}x raw) built in {info['build_seconds']:.0f} s "
          f"({info['pages'] / info['build_seconds']:.0f} pages/s)")
    print(f"load before: {os.getloadavg()[0]:.2f}")
    results = measure(SqliteSearchBackend(args.index), info["queries"], args.repeat, args.rounds, args.size,
                      args.deep)
    print(f"load after:  {os.getloadavg()[0]:.2f}")
    deep = f"page {args.deep}"
    print(f"{'kind':14} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  {'median total':>12}  "
          f"{deep + ' p50':>12} {deep + ' p95':>12}  p95 per round")
    for kind, r in results.items():
        print(f"{kind:14} {r['n']:5d} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} {r['p99_ms']:8.1f}  "
              f"{r['median_total']:12.0f}  {r['deep_p50_ms']:12.1f} {r['deep_p95_ms']:12.1f}  {r['p95_rounds_ms']}")


if __name__ == "__main__":
    main()
