"""Indexing rate and search latency: a real OpenSearch node against the embedded SQLite index.

Run: ``.venv/bin/python -m bench.search.opensearch_vs_sqlite`` (100,000 pages by default).
Not a test: figures, in one run, on the same synthetic pages and the same queries.

- OpenSearch is a real 2.19.6 node started here from ``tests/opensearch_node`` (built into
  ``.cache/`` by ``make test``) with the full JIT and a fixed heap (``--heap``, default 1g),
  its data on disk as SQLite's is; or an existing cluster (``--opensearch-url``).
- Pages are ``bench.reindex_rate``'s administrative documents (1–2 pages, ~1,100 characters:
  names, 12-digit personal IDs, decision numbers, dates); generation is not timed.
- Indexing: ``rebuild()`` of every document (the bulk path of ``sohoa reindex``), then
  ``index_documents()`` one document per call, as a worker indexes (the write path whose
  refresh makes a document searchable when it is marked indexed), on a sample.
- Search: a fixed mix of queries drawn from the data (names with and without diacritics,
  personal IDs, decision numbers, quoted phrases, common words, with and without a filter),
  one warm-up pass, then ``--rounds`` passes; each query runs on both backends back to back,
  in alternating order, so both see the same machine. Latency is that of ``backend.search``
  (20 hits with snippets), measured in this process.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench.opensearch_target import opensearch_backend
from bench.reindex_rate import make_document
from search.base import IndexedDocument, SearchBackend, SearchFilters, SearchQuery
from search.sqlite_fts import SqliteSearchBackend
from sohoa.domain.vntext import fold

Query = tuple[str, SearchFilters]


def corpus(pages: int, rng: random.Random) -> list[IndexedDocument]:
    docs: list[IndexedDocument] = []
    total = 0
    while total < pages:
        doc = make_document(len(docs), rng)
        if total + len(doc.pages) > pages:
            doc = dataclasses.replace(doc, pages=doc.pages[:1])
        docs.append(doc)
        total += len(doc.pages)
    return docs


def queries(docs: list[IndexedDocument], n: int, rng: random.Random) -> list[Query]:
    """``n`` queries drawn from the documents, in a fixed mix of kinds."""
    none = SearchFilters()
    out: list[Query] = []
    kinds = ["name", "name_folded", "id", "number", "phrase", "word", "word_filtered", "name_filtered"]
    for i in range(n):
        doc = rng.choice(docs)
        head = doc.pages[0].text
        name = head.split("Họ và tên: ")[1].split("  ")[0]
        kind = kinds[i % len(kinds)]
        if kind == "name":
            out.append((name, none))
        elif kind == "name_folded":
            out.append((fold(name).lower(), none))
        elif kind == "id":
            out.append((doc.owner_ids[0], none))
        elif kind == "number":
            out.append((head.split("Số: ")[1].split(" ")[0], none))
        elif kind == "phrase":
            out.append((rng.choice(['"giấy khai sinh"', '"bộ phận một cửa"', '"luật hộ tịch"', '"bản sao"']), none))
        elif kind == "word":
            out.append((rng.choice(["hộ tịch", "lệ phí", "chứng thực", "kết hôn", "xây dựng"]), none))
        elif kind == "word_filtered":
            out.append((rng.choice(["ho tich", "le phi", "chung thuc"]), SearchFilters(agency_code=doc.agency_code)))
        else:
            out.append((fold(name).lower(), SearchFilters(agency_code=doc.agency_code)))
    return out


def percentiles(samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return (f"p50 {cuts[49] * 1000:7.2f} ms  p95 {cuts[94] * 1000:7.2f} ms  p99 {cuts[98] * 1000:7.2f} ms  "
            f"mean {statistics.fmean(samples) * 1000:7.2f} ms")


def rebuild_rate(label: str, backend: SearchBackend, docs: list[IndexedDocument]) -> float:
    pages = sum(len(d.pages) for d in docs)
    start = time.perf_counter()
    assert backend.rebuild(iter(docs)) == len(docs)
    seconds = time.perf_counter() - start
    assert backend.count() == pages
    print(f"  {label:<11} rebuild  {len(docs):>7} docs {pages:>7} pages in {seconds:7.1f} s = "
          f"{pages / seconds:7.0f} pages/s ({len(docs) / seconds:6.0f} docs/s)")
    return pages / seconds


def worker_path(label: str, backend: SearchBackend, docs: list[IndexedDocument]) -> list[float]:
    """One document per ``index_documents`` call, replacing documents already indexed."""
    times = []
    for doc in docs:
        start = time.perf_counter()
        backend.index_documents([doc])
        times.append(time.perf_counter() - start)
    print(f"  {label:<11} one document per call, {len(docs)} documents: {len(docs) / sum(times):6.0f} docs/s  "
          + percentiles(times))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--one-by-one", type=int, default=1000, help="documents indexed one per call")
    parser.add_argument("--heap", default="1g")
    parser.add_argument("--opensearch-url", help="an existing cluster instead of a node started here")
    args = parser.parse_args()

    rng = random.Random(2024)
    docs = corpus(args.pages, rng)
    mix = queries(docs, args.queries, rng)
    chars = sum(len(p.text) for d in docs for p in d.pages)
    print(f"{len(docs)} documents, {args.pages} pages, {chars / 1e6:.1f} M characters; {len(mix)} queries")
    with tempfile.TemporaryDirectory(prefix="bench-os-") as tmp, \
            opensearch_backend(args.opensearch_url, Path(tmp) / "opensearch", args.heap) as engine:
        sqlite = SqliteSearchBackend(Path(tmp) / "search.sqlite3")
        backends: dict[str, SearchBackend] = {"opensearch": engine, "sqlite": sqlite}
        info = engine.client.info()["version"]
        print(f"OpenSearch {info['number']} ({args.opensearch_url or f'one node, heap {args.heap}, full JIT'}); "
              f"SQLite FTS5 in {tmp}")
        print("indexing")
        rates = {name: rebuild_rate(name, b, docs) for name, b in backends.items()}
        print(f"  rebuild rate opensearch/sqlite: {rates['opensearch'] / rates['sqlite']:.2f}x")
        sample = rng.sample(docs, min(args.one_by_one, len(docs)))
        one = {name: worker_path(name, b, sample) for name, b in backends.items()}
        print(f"  one-by-one median opensearch/sqlite: "
              f"{statistics.median(one['opensearch']) / statistics.median(one['sqlite']):.2f}x")

        samples: dict[str, list[float]] = {name: [] for name in backends}
        totals: dict[str, list[int]] = {name: [] for name in backends}
        for round_ in range(args.rounds + 1):  # round 0 warms caches and the JIT
            for i, (q, filters) in enumerate(mix):
                order = list(backends) if (i + round_) % 2 == 0 else list(reversed(backends))
                for name in order:
                    start = time.perf_counter()
                    result = backends[name].search(SearchQuery(q=q, filters=filters, size=20))
                    elapsed = time.perf_counter() - start
                    if round_:
                        samples[name].append(elapsed)
                    else:
                        totals[name].append(result.total)
        print(f"search: {len(mix)} queries x {args.rounds} rounds, 20 hits with snippets")
        for name in backends:
            print(f"  {name:<11} " + percentiles(samples[name]))
        ratio = statistics.median(samples["opensearch"]) / statistics.median(samples["sqlite"])
        print(f"  median opensearch/sqlite: {ratio:.2f}x")
        differ = sum(a != b for a, b in zip(totals["opensearch"], totals["sqlite"], strict=True))
        print(f"  queries whose hit count differs between the backends: {differ} of {len(mix)}")
        sqlite.close()


if __name__ == "__main__":
    main()
