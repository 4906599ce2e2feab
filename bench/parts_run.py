"""Figures of parts on generated stacks (``bench.stacks``):

    .venv/bin/python -m bench.stacks /tmp/stacks --files 40
    .venv/bin/python -m bench.parts_run /tmp/stacks [--procs 2] [--speed-files 12] [--rounds 2]

1. Every page goes through the service's page pipeline (``process_page``, separator sheets
   on, real Tesseract), 2 processes; the texts are cached in ``DIR/ocr.json``
   (``--reuse-ocr`` reads them back).
2. **Boundaries**: ``detect_parts`` on those pages against the truth. A boundary is the
   first page of a part that is not the file's first; precision and recall over all files,
   plus the share of parts found with exactly their page range.
3. **Fields per part**: for each part found exactly, the part's pages through
   ``extract_fields`` + ``summarize`` and ``bench.extract_fields.Score`` (same fields and
   rules as the extraction benchmark); kind (result/component) and component → result links.
4. **Lookup**: the files stored in a fresh database (pages as read), records made by the
   worker's own ``refresh_from_document``, then for each result part and each of its
   owners' IDs ``GET /api/v1/records?owner_id=&valid_on=<issue day>`` through the real app
   as a portal: a hit is a returned record whose part has the right page range.
5. **Speed**: the first ``--speed-files`` files without separator sheets read ``--rounds``
   times with splitting off (no separator scan, one extraction over the whole file) and on
   (separator scan, detection, one extraction per part), the two alternating in the same
   pool; pages/min (wall) of each, CPU ms a page of each (the process and its Tesseract
   children: far less moved by other work on shared cores than wall time) and the ratios;
   and the separator scan timed alone on every decoded page against a page's whole time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

os.environ["OMP_THREAD_LIMIT"] = "1"

from bench.extract_fields import Score
from sohoa.domain.extract import extract_fields, summarize
from sohoa.domain.parts import PageInput, detect_parts


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the Tesseract runs): unlike wall
    time, what other engineers run on the shared cores hardly moves it."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def read_file(args: tuple[str, bool]) -> tuple[list[dict[str, Any]], float, float]:
    """All pages of one file through the page pipeline; (pages, wall seconds, cpu seconds)."""
    from sohoa.core.config import Settings
    from workers.ocr.pipeline import process_page
    from workers.ocr.sources import open_source
    from workers.ocr.tesseract import ocr_image

    path, split = args
    started, cpu = time.monotonic(), _cpu_seconds()
    with tempfile.TemporaryDirectory(prefix="bench-parts-") as tmp:
        settings = Settings(_env_file=None, var_dir=Path(tmp), separator_barcode="SOHOA-TACH" if split else "off")
        source = open_source(Path(path), "application/pdf", settings)
        try:
            pages = []
            for number in range(1, source.page_count + 1):
                out = process_page(source, number, settings=settings, engine=ocr_image)
                pages.append({"text": out.text or "", "top_text": out.top_text, "separator": out.separator,
                              "ms": out.duration_ms})
                if out.pdf_path is not None:
                    out.pdf_path.unlink(missing_ok=True)
        finally:
            source.close()
    return pages, time.monotonic() - started, _cpu_seconds() - cpu


def _warm() -> None:
    import workers.ocr.pipeline
    import workers.ocr.sources  # noqa: F401 - loaded once per process before the clock starts


def ocr_all(root: Path, truth: list[dict], procs: int, reuse: bool) -> list[list[dict[str, Any]]]:
    cache = root / "ocr.json"
    if reuse and cache.exists():
        return json.loads(cache.read_text("utf-8"))
    with ProcessPoolExecutor(max_workers=procs, initializer=_warm) as pool:
        done = list(pool.map(read_file, [(str(root / f["file"]), True) for f in truth]))
    pages = [p for p, _, _ in done]
    cache.write_text(json.dumps(pages, ensure_ascii=False), "utf-8")
    return pages


def inputs(pages: list[dict[str, Any]]) -> list[PageInput]:
    return [PageInput(p["text"], p.get("top_text"), p["separator"]) for p in pages]


def boundaries(truth: list[dict], ocr: list[list[dict[str, Any]]]) -> tuple[dict[str, float], list[list[Any]]]:
    tp = fp = fn = exact = total = 0
    found_all = []
    for f, pages in zip(truth, ocr, strict=True):
        found = detect_parts(inputs(pages))
        found_all.append(found)
        want = {p["first"] for p in f["parts"][1:]}
        got = {p.first for p in found[1:]}
        tp, fp, fn = tp + len(want & got), fp + len(got - want), fn + len(want - got)
        spans = {(p.first, p.last) for p in found}
        exact += sum((p["first"], p["last"]) in spans for p in f["parts"])
        total += len(f["parts"])
    return {"boundaries": tp + fn, "tp": tp, "fp": fp, "fn": fn, "precision": tp / (tp + fp) if tp + fp else 1.0,
            "recall": tp / (tp + fn) if tp + fn else 1.0, "parts": total, "exact_parts": exact / total}, found_all


def fields(truth: list[dict], ocr: list[list[dict[str, Any]]], found: list[list[Any]]) -> tuple[Score, dict]:
    score, kinds = Score(), {"kind_ok": 0, "kind_n": 0}
    for f, pages, parts in zip(truth, ocr, found, strict=True):
        by_span = {(p.first, p.last): p for p in parts}
        for k, part in enumerate(f["parts"]):
            got = by_span.get((part["first"], part["last"]))
            if got is None:
                continue
            texts = [pages[n - 1]["text"] for n in range(part["first"], part["last"] + 1)]
            want = dict(part["fields"])
            score.add(f"{f['file']}#{k}", want, summarize(extract_fields(texts)), "\n".join(texts))
            kinds["kind_n"] += 1
            kinds["kind_ok"] += got.kind == part["kind"]
    return score, kinds


def lookups(truth: list[dict], ocr: list[list[dict[str, Any]]], split: bool = True) -> dict[str, Any]:
    """Store the files, build records as the worker does, look every owner up through the API.

    ``split=False`` is the service before parts: one part over the whole file, one extraction
    and one record per file; a hit then only needs the file's record (no page range can be
    right for a file of several documents)."""
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from api import create_app
    from sohoa.core.config import Settings
    from sohoa.core.db import make_engine, make_session_factory, migrate, session_scope
    from sohoa.core.models import Part
    from sohoa.domain.keys import create_key

    with tempfile.TemporaryDirectory(prefix="bench-lookup-") as tmp:
        settings = Settings(_env_file=None, var_dir=Path(tmp))
        migrate(settings.database_url)
        engine = make_engine(settings.database_url)
        sessions = make_session_factory(engine)
        with session_scope(sessions) as session:
            _, portal = create_key(session, role="portal", name="bench portal")
            doc_ids = [_store(session, f, pages, split) for f, pages in zip(truth, ocr, strict=True)]
            links = _links(session, truth, doc_ids) if split else {"ok": 0, "n": 0}
        tally = {"asked": 0, "hits": 0, "later_asked": 0, "later_hits": 0}
        misses: list[str] = []
        with TestClient(create_app(settings)) as client, session_scope(sessions) as session:
            spans = {p.id: (p.first_page, p.last_page) for p in session.scalars(select(Part))}
            for f, doc_id in zip(truth, doc_ids, strict=True):
                for k, part in enumerate(f["parts"]):
                    for owner in part["lookup"] if part["kind"] == "result" else []:
                        body = client.get("/api/v1/records", params={"owner_id": owner, "valid_on": part["valid_on"]},
                                          headers={"Authorization": f"Bearer {portal}",
                                                   "X-Purpose": "000.00.14.H56-230415-0012"}).json()
                        ok = any(r["document_id"] == doc_id and (not split or _span(r, spans) == (
                            part["first"], part["last"])) for r in body.get("records", []))
                        later = "later_" if k > 0 else ""  # another paper document comes before it
                        tally["asked"], tally["hits"] = tally["asked"] + 1, tally["hits"] + ok
                        tally[f"{later}asked"] += bool(later)
                        tally[f"{later}hits"] += bool(later) and ok
                        if not ok:
                            misses.append(f"{f['file']} p{part['first']}-{part['last']} "
                                          f"{part['fields']['kind']} {owner}")
        engine.dispose()
    share = tally["hits"] / tally["asked"] if tally["asked"] else 1.0
    return {**tally, "share": share, "misses": misses, "links": links}


def _store(session: Any, f: dict, pages: list[dict[str, Any]], split: bool) -> str:
    """One file's document and pages as read; its records as the worker makes them (or, not
    splitting, as before parts: the whole file one part)."""
    from sohoa.core.models import Batch, Document, Page, Part
    from sohoa.domain.records import refresh_from_document, refresh_parts

    batch = Batch()
    session.add(batch)
    session.flush()
    doc = Document(sha256=os.urandom(32).hex(), size_bytes=1, mime_type="application/pdf", filename=f["file"],
                   original_path=f["file"], first_batch_id=batch.id, status="indexed", pages_total=len(pages),
                   pages_done=len(pages))
    session.add(doc)
    session.flush()
    session.add_all(Page(document_id=doc.id, number=n, status="done", text=p["text"], top_text=p.get("top_text"),
                         separator=p["separator"] and split) for n, p in enumerate(pages, 1))
    session.flush()
    if split:
        refresh_from_document(session, doc.id)
    else:
        whole = Part(document_id=doc.id, position=0, first_page=1, last_page=len(pages), reasons=["first_page"])
        session.add(whole)
        session.flush()
        refresh_parts(session, doc.id, [whole])
    return doc.id


def _links(session: Any, truth: list[dict], doc_ids: list[str]) -> dict[str, int]:
    """Components found with their exact range whose link points at their result's range."""
    from sqlalchemy import select

    from sohoa.core.models import Part

    links = {"ok": 0, "n": 0}
    for f, doc_id in zip(truth, doc_ids, strict=True):
        parts = {p.id: p for p in session.scalars(select(Part).where(Part.document_id == doc_id))}
        by_span = {(p.first_page, p.last_page): p for p in parts.values()}
        for part in f["parts"]:
            got = by_span.get((part["first"], part["last"]))
            if part["result"] is None or got is None:
                continue
            res = f["parts"][part["result"]]
            target = parts.get(got.result_part_id or "")
            links["n"] += 1
            links["ok"] += target is not None and (target.first_page, target.last_page) == (res["first"], res["last"])
    return links


def _span(record: dict[str, Any], spans: dict[str, tuple[int, int]]) -> tuple[int, int] | None:
    """The page range the API gives for a record (``pages``), else its part's in the database."""
    pages = record.get("pages")
    if pages:
        return pages["first"], pages["last"]
    return spans.get(record.get("part_id") or "") or None


def speed(root: Path, truth: list[dict], procs: int, files: int, rounds: int) -> dict[str, float]:
    """Pages/min with splitting off and on over the first ``files`` files WITHOUT separator
    sheets (on such a file "on" only adds the code scan, detection and per-part extraction:
    the cost asked about; a separator sheet itself costs less "on", as it is never OCR'd)."""
    chosen = [f for f in truth if not any(True for _ in _separator_pages(f))][:files]
    paths = [str(root / f["file"]) for f in chosen]
    pages = sum(f["pages"] for f in chosen)
    wall = {"off": 0.0, "on": 0.0}
    post = {"off": 0.0, "on": 0.0}
    cpu = {"off": 0.0, "on": 0.0}
    page_ms: list[float] = []
    with ProcessPoolExecutor(max_workers=procs, initializer=_warm) as pool:
        list(pool.map(time.sleep, [0.3] * procs))
        for r in range(rounds):
            for mode in (("off", "on") if r % 2 == 0 else ("on", "off")):
                started = time.monotonic()
                done = list(pool.map(read_file, [(p, mode == "on") for p in paths]))
                wall[mode] += time.monotonic() - started
                post[mode] += _post(done, mode == "on")
                cpu[mode] += sum(c for _, _, c in done)
                if mode == "off":
                    page_ms += [p["ms"] for pages_read, _, _ in done for p in pages_read]
    out = {f"{m}_pages_per_min": pages * rounds / (wall[m] + post[m]) * 60 for m in wall}
    out.update({f"{m}_cpu_ms_per_page": (cpu[m] + post[m]) * 1000 / (pages * rounds) for m in cpu})
    out["on_cpu_over_off"] = out["on_cpu_ms_per_page"] / out["off_cpu_ms_per_page"]
    out["pages"], out["files"] = pages * rounds, len(chosen)
    out["on_over_off"] = out["on_pages_per_min"] / out["off_pages_per_min"]
    out["post_seconds_on"], out["post_seconds_off"] = post["on"], post["off"]
    out["scan_ms_per_page"], out["page_ms"] = _scan_cost(paths), sum(page_ms) / len(page_ms)
    return out


def _separator_pages(f: dict) -> list[int]:
    inside = {n for part in f["parts"] for n in range(part["first"], part["last"] + 1)}
    return [n for n in range(1, f["pages"] + 1) if n not in inside]


def _scan_cost(paths: list[str]) -> float:
    """Mean ms of the separator-code scan on a decoded page (against a whole page's time in
    the "off" rounds)."""
    from PIL import Image

    from sohoa.core.config import Settings
    from workers.ocr.separator import is_separator
    from workers.ocr.sources import open_source

    scans: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-scan-") as tmp:
        settings = Settings(_env_file=None, var_dir=Path(tmp))
        for path in paths:
            source = open_source(Path(path), "application/pdf", settings)
            try:
                for number in range(1, source.page_count + 1):
                    raster = source.rasterize(number, Path(tmp))
                    with Image.open(raster.path) as image:
                        gray = image.convert("L")
                    started = time.perf_counter()
                    is_separator(gray, raster.dpi, "SOHOA-TACH")
                    scans.append((time.perf_counter() - started) * 1000)
            finally:
                source.close()
    return sum(scans) / len(scans)


def _post(done: list[tuple[list[dict[str, Any]], float, float]], split: bool) -> float:
    """What follows OCR in the job: one extraction over the file, or detection + one per part."""
    started = time.process_time()
    for pages, _, _ in done:
        texts = [p["text"] for p in pages]
        if not split:
            extract_fields(texts)
            continue
        for part in detect_parts(inputs(pages)):
            extract_fields(texts[part.first - 1 : part.last])
    return time.process_time() - started


def _timed(label: str, fn: Callable[[], Any]) -> Any:
    started = time.monotonic()
    value = fn()
    print(f"  {label}: {time.monotonic() - started:.1f} s")
    return value


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", type=Path)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--reuse-ocr", action="store_true")
    ap.add_argument("--speed-files", type=int, default=12, help="0: no speed measurement")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--show-errors", action="store_true")
    args = ap.parse_args(argv)
    truth = json.loads((args.dir / "truth.json").read_text("utf-8"))
    pages = sum(f["pages"] for f in truth)
    print(f"{len(truth)} files, {pages} pages, {sum(len(f['parts']) for f in truth)} documents")
    ocr = _timed("OCR", lambda: ocr_all(args.dir, truth, args.procs, args.reuse_ocr))
    bounds, found = boundaries(truth, ocr)
    print("boundaries:", json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in bounds.items()}))
    score, kinds = fields(truth, ocr, found)
    print(score.table("fields per part (parts found with their exact page range)"))
    print(f"part kind (result/component) right: {kinds['kind_ok']}/{kinds['kind_n']}")
    if args.show_errors:
        for line in score.errors[:80]:
            print("  " + line)
    found_lookups = _timed("lookups", lambda: lookups(truth, ocr))
    links = found_lookups["links"]
    print(f"component -> result links right: {links['ok']}/{links['n']}")
    print(f"lookup by owner ID on the issue day through GET /api/v1/records: {found_lookups['hits']}/"
          f"{found_lookups['asked']} = {found_lookups['share']:.3f} return the right record and page range; "
          f"of results after another document in their file: {found_lookups['later_hits']}/"
          f"{found_lookups['later_asked']}")
    for miss in found_lookups["misses"][:40]:
        print("  miss: " + miss)
    before = _timed("lookups, one record per file (before parts)", lambda: lookups(truth, ocr, split=False))
    print(f"before parts (one record per file): {before['hits']}/{before['asked']} = {before['share']:.3f} find "
          f"the file's record at all; of results after another document: {before['later_hits']}/"
          f"{before['later_asked']}")
    if args.speed_files:
        figures = _timed("speed", lambda: speed(args.dir, truth, args.procs, args.speed_files, args.rounds))
        print(f"speed on {figures['pages']} page reads a mode ({figures['files']} files without separator sheets, "
              f"{args.rounds} rounds): splitting off {figures['off_pages_per_min']:.1f} pages/min, "
              f"on {figures['on_pages_per_min']:.1f} pages/min, on/off = {figures['on_over_off']:.3f}; cpu a page "
              f"off {figures['off_cpu_ms_per_page']:.0f} ms, on {figures['on_cpu_ms_per_page']:.0f} ms, "
              f"on/off = {figures['on_cpu_over_off']:.3f} "
              f"(detection + per-part extraction {figures['post_seconds_on']:.2f} s cpu, "
              f"whole-file extraction {figures['post_seconds_off']:.2f} s cpu); separator scan "
              f"{figures['scan_ms_per_page']:.1f} ms a page = {figures['scan_ms_per_page'] / figures['page_ms']:.2%} "
              f"of a page's {figures['page_ms']:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
