"""Are names found first? Planted certificates among distractor pages, on both backends.

    .venv/bin/python -m bench.search.relevance --distractors 20000
    .venv/bin/python -m bench.search.relevance --backend opensearch --opensearch-url http://127.0.0.1:9200
    .venv/bin/python -m bench.search.relevance --backend opensearch --start-node   # the tests' real node
    .venv/bin/python -m bench.search.relevance --distractors 5000 --stacked        # names in later parts

The distractors are ``bench.search.corpus`` documents: certificates, decisions, forms and
long household lists whose people are drawn from the same syllables, and the motto on
every page. Planted among them, as the corpus makes them (UPPERCASE on certificates, the
record naming the person):

- unique names: a name held by exactly one document, of syllables that are also the
  commonest words (Hồ/hộ/họ, Phúc/hạnh phúc, Hòa/cộng hòa, An, Thu, Hạnh, Bình...);
- shared names: one name borne by several documents (people share names);
- OCR-damaged names: the page and the record read the name with one tone mark wrong
  (``ĐÔ`` for ``ĐỖ``), and the officer types the right one.

With ``--stacked``, every planted document is scanned behind one to three distractor documents
in the same file (a later part of a stack), so the person is named only in a later part's
record; on a tree from before per-part indexing the file's pages all carried its first
document's names (``corpus.to_indexed_stack``).

Each name is typed without diacritics (``bui thi an``) and with them (``Bùi Thị An``).
Reported: recall@1 and @3 for unique and damaged names (the document among the first 1/3
documents of the answer), and for shared names whether every document bearing the name
comes before every one that does not (documents in the order of their first page hit).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.opensearch_target import opensearch_backend
from bench.search.corpus import GIVEN, MIDDLES, SURNAMES, GeneratedDocument, Generator, to_indexed, to_indexed_stack
from search.base import IndexedDocument, SearchBackend, SearchQuery
from search.sqlite_fts import SqliteSearchBackend
from sohoa.domain.vntext import folded

COLLIDING = ("Hồ", "Phúc", "Hòa", "An", "Thu", "Hạnh", "Bình", "Dân", "Lập", "Tự", "Định", "Chính", "Minh")
TONE_SLIPS = {"Đỗ": "Đô", "Hồ": "Hô", "Hòa": "Hoá", "Phúc": "Phục", "Hạnh": "Hành", "Bình": "Bính", "Thư": "Thứ",
              "Ngọc": "Ngoc", "Thị": "Thi", "Văn": "Vân"}


@dataclass
class Planted:
    name: str  # as the officer types it with diacritics
    documents: list[str]
    kind: str  # unique | shared | damaged


def plant_names(rng: random.Random, unique: int, shared: int, damaged: int) -> list[tuple[str, str]]:
    """(name, kind) pairs, every name distinct folded, built mostly from colliding syllables."""
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    wanted = [("unique", unique), ("shared", shared), ("damaged", damaged)]
    for kind, count in wanted:
        while sum(1 for _, k in out if k == kind) < count:
            surname = rng.choice(("Đỗ", *SURNAMES)) if kind == "damaged" else rng.choice(SURNAMES)
            middle = rng.choice(MIDDLES)
            given = rng.choice(COLLIDING) if rng.random() < 0.8 else rng.choice(GIVEN)
            parts = [surname, middle, given] if rng.random() < 0.7 else [surname, middle, rng.choice(COLLIDING), given]
            if kind == "damaged" and not any(p in TONE_SLIPS for p in parts):
                continue
            name = " ".join(parts)
            if folded(name) not in seen and len(set(parts)) == len(parts):
                seen.add(folded(name))
                out.append((name, kind))
    return out


def damage(name: str, rng: random.Random) -> str:
    """The name with one tone mark read wrong."""
    parts = name.split()
    slips = [i for i, p in enumerate(parts) if p in TONE_SLIPS]
    i = rng.choice(slips)
    parts[i] = TONE_SLIPS[parts[i]]
    return " ".join(parts)


File = list[GeneratedDocument]  # one uploaded file: one document, or a stack of them (planted last)


def build_corpus(distractors: int, seed: int, stacked: bool = False) -> tuple[list[File], list[Planted]]:
    rng = random.Random(seed)
    names = plant_names(rng, unique=50, shared=10, damaged=20)
    avoid = frozenset(folded(n) for n, _ in names) | frozenset(folded(damage(n, random.Random(0)))
                                                               for n, k in names if k == "damaged")
    gen = Generator(seed, avoid=avoid)
    files = [[doc] for doc in gen.stream(distractors, prefix="x")]
    planted: list[Planted] = []
    for i, (name, kind) in enumerate(names):
        copies = rng.randint(2, 4) if kind == "shared" else 1
        written = damage(name, random.Random(i)) if kind == "damaged" else name
        ids = []
        for c in range(copies):
            doc = gen.document(f"p{i:03d}-{c}", owner_name=written)
            before = [gen.document(f"p{i:03d}-{c}-{k}") for k in range(rng.randint(1, 3))] if stacked else []
            files.append([*before, doc])
            ids.append(doc.document_id)
        planted.append(Planted(name, ids, kind))
    rng.shuffle(files)
    return files, planted


def indexed(file: File) -> IndexedDocument:
    """A file as the backend receives it (a stack under its planted document's id)."""
    return to_indexed(file[0]) if len(file) == 1 else to_indexed_stack(file[-1].document_id, file)


def ranked_documents(backend: SearchBackend, q: str, size: int = 100) -> list[str]:
    """Document ids in the order of their first page among the hits."""
    hits = backend.search(SearchQuery(q=q, size=size)).hits
    return list(dict.fromkeys(h.document_id for h in hits))


def evaluate(backend: SearchBackend, planted: list[Planted]) -> dict[str, dict[str, float]]:
    rows: dict[str, dict[str, list[float]]] = {}
    times: list[float] = []
    for p in planted:
        for typed, q in (("no marks", folded(p.name)), ("marks", p.name)):
            started = time.perf_counter()
            order = ranked_documents(backend, q)
            times.append(time.perf_counter() - started)
            slot = rows.setdefault(f"{p.kind:8} typed with {typed}", {"@1": [], "@3": [], "ahead": []})
            if p.kind == "shared":
                bearing = set(p.documents)
                slot["ahead"].append(float(set(order[:len(bearing)]) == bearing))
            else:
                rank = order.index(p.documents[0]) + 1 if p.documents[0] in order else 10**6
                slot["@1"].append(float(rank <= 1))
                slot["@3"].append(float(rank <= 3))
    out = {label: {k: sum(v) / len(v) for k, v in slot.items() if v} | {"n": float(max(map(len, slot.values())))}
           for label, slot in sorted(rows.items())}
    out["_timing"] = {"median_ms": sorted(times)[len(times) // 2] * 1e3}
    return out


@contextmanager
def open_target(args: argparse.Namespace, workdir: Path) -> Iterator[SearchBackend]:
    """The backend measured, closed at the end; on OpenSearch (the URL's, or the tests' node
    started for the run) every index version and the template the run made are dropped."""
    if args.backend == "sqlite":
        backend = SqliteSearchBackend(workdir / "relevance.sqlite3")
        try:
            yield backend
        finally:
            backend.close()
        return
    with opensearch_backend(None if args.start_node else args.opensearch_url, workdir / "opensearch") as engine:
        yield engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--distractors", type=int, default=20_000, help="distractor pages")
    parser.add_argument("--backend", choices=("sqlite", "opensearch"), default="sqlite")
    parser.add_argument("--opensearch-url", default="http://127.0.0.1:9200")
    parser.add_argument("--start-node", action="store_true",
                        help="start the test suite's OpenSearch node (tests/opensearch_node) for the run")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--stacked", action="store_true",
                        help="plant each document behind 1-3 others in one file (a later part of a stack)")
    run(parser.parse_args())


def run(args: argparse.Namespace) -> None:
    files, planted = build_corpus(args.distractors, args.seed, args.stacked)
    with tempfile.TemporaryDirectory() as tmp, open_target(args, Path(tmp)) as backend:
        started = time.perf_counter()
        backend.rebuild(indexed(f) for f in files)
        print(f"{args.backend}: {sum(len(d.pages) for f in files for d in f)} pages ({len(files)} files, "
              f"{sum(len(f) for f in files)} documents) indexed in {time.perf_counter() - started:.0f} s; "
              f"{len(planted)} planted names{', each in a later part of a stack' if args.stacked else ''}")
        results = evaluate(backend, planted)
    timing = results.pop("_timing")
    print(f"{'planted names':30} {'n':>4} {'recall@1':>9} {'recall@3':>9} {'shared ahead':>13}")
    for label, r in results.items():
        cells = [f"{r[k]:9.2f}" if k in r else " " * 9 for k in ("@1", "@3")]
        ahead = f"{r['ahead']:13.2f}" if "ahead" in r else ""
        print(f"{label:30} {int(r['n']):4d} {cells[0]} {cells[1]} {ahead}")
    print(f"median search time {timing['median_ms']:.1f} ms")


if __name__ == "__main__":
    main()
