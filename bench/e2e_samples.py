"""End-to-end check on sample scans: ingest everything as one batch through the API, expect
every document ``indexed``, then search each person's name typed WITHOUT diacritics and
expect the right file in the top 3.

    python -m bench.e2e_samples --samples ../shared/samples              # starts its own stack
    python -m bench.e2e_samples --samples DIR --api-url URL --api-key K  # a running stack
    python -m bench.e2e_samples --raw-tesseract --rounds 3               # speed vs raw Tesseract

Run from the repository's root (``make bench`` does): ``-m`` finds ``bench.*`` there.

With ``--raw-tesseract`` every round also times plain ``tesseract -l vie --psm 3`` on the
same scanned page images with the same number of processes, right before the upload and
right after it, and prints the ratio of the pipeline's throughput to the mean of the two
raw runs (a load that changes during the round weighs on both sides) over the scanned pages
(born-digital pages are in the pipeline's time but counted by neither side); ``--rounds N``
repeats raw + pipeline + raw N times (a fresh stack each round, so nothing is a duplicate) and prints every ratio and
their median, since one run on a shared machine varies by ±10 %. Each round also prints the
CPU seconds of every part of the stack during the upload (API, workers apart from their
programs, the programs, Redis, the ``sohoa ingest`` client; ``bench.stack_cpu``) and of raw
Tesseract, and their ratio: on a machine other work keeps busy, wall times swing with it, CPU
seconds much less.

The pipeline's time runs from the start of ``sohoa ingest`` (polling at its default, once a
second, as a clerk runs it) to the last document's ``indexed_at`` in the stack's database:
the moment the whole batch is searchable, without the client's poll interval on top and
without a faster poll's API work inside.

The samples folder holds ``files/`` and ``truth.json`` (list of ``{file, pages, dpi, fields:
{name, child_name?} or {names: [...]}}``): ``../shared/samples`` or the office mix of
``python -m bench.ocr.generate OUT --mix``. Prints a table and a summary; exit code 0 only when every document
is indexed and every name is found in the top ``--top``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.stack_cpu import print_stack_cpu, stack_cpu
from sohoa.domain.vntext import fold


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def own_stack(workers: int | None) -> Iterator[tuple[str, str, dict[str, str]]]:
    """``sohoa run`` in a temp dir on free ports; yields (api_url, admin_key, env)."""
    with tempfile.TemporaryDirectory(prefix="sohoa-e2e-") as tmp:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
        env.update(SOHOA_VAR_DIR=f"{tmp}/var", SOHOA_PORT=str(port),
                   SOHOA_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
        if workers:
            env["SOHOA_WORKERS"] = str(workers)
        log_path = Path(tmp) / "run.log"
        with log_path.open("w") as log:
            proc = subprocess.Popen([sys.executable, "-m", "sohoa", "run"], cwd=tmp, env=env,
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        try:
            started = time.monotonic()
            key = _wait_for_banner(proc, log_path)
            print(f"sohoa run ready in {time.monotonic() - started:.1f}s", file=sys.stderr)
            yield f"http://127.0.0.1:{port}", key, {**env, "E2E_STACK_PID": str(proc.pid)}
        finally:
            stopping = time.monotonic()
            proc.send_signal(signal.SIGINT)
            code = proc.wait(timeout=120)
            print(f"sohoa run stopped with exit code {code} in {time.monotonic() - stopping:.1f}s",
                  file=sys.stderr)


def _wait_for_banner(proc: subprocess.Popen[bytes], log_path: Path, timeout: float = 180) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log_path.read_text()
        match = re.search(r"export SOHOA_API_KEY=(sohoa_\S+)", text)
        if match and "Ctrl-C stops everything" in text:
            return match.group(1)
        if proc.poll() is not None:
            raise SystemExit(f"sohoa run exited with {proc.returncode}:\n{text}")
        time.sleep(0.3)
    raise SystemExit(f"sohoa run did not become ready in {timeout:.0f}s:\n{log_path.read_text()}")


def run_ingest(files_dir: Path, api_url: str, key: str, env: dict[str, str]) -> tuple[str, float, int, float, float]:
    """``sohoa ingest`` as a user runs it (its default poll, once a second); returns (batch
    id, seconds until the client saw the batch indexed, exit code, its CPU seconds, the
    wall-clock instant it started: ``searchable_seconds`` measures from there)."""
    started, used, epoch = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN), time.time()
    # cwd: not the repo, whose sohoa `-m` would import before PYTHONPATH's (a stack of other code)
    result = subprocess.run([sys.executable, "-m", "sohoa", "ingest", str(files_dir.resolve()), "--api-url", api_url],
                            env={**env, "SOHOA_API_KEY": key}, cwd=tempfile.gettempdir(), capture_output=True,
                            text=True)
    seconds = time.monotonic() - started
    done = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = done.ru_utime + done.ru_stime - used.ru_utime - used.ru_stime
    sys.stderr.write(result.stderr)
    lines = result.stdout.splitlines()
    for line in lines[:1] + lines[-2:]:
        print(f"  | {line}")
    match = re.search(r"batch ([0-9a-f]+):", result.stdout)
    if not match:
        raise SystemExit(f"sohoa ingest gave no batch id (exit {result.returncode})")
    return match.group(1), seconds, result.returncode, client_cpu, epoch


def searchable_seconds(database: Path, started: float) -> float | None:
    """Seconds from the upload's start until the last document became searchable: the
    latest ``indexed_at``, written in the transaction after the index write. Read from the
    stack's database, so the client's poll interval (1 s by default) adds nothing to the
    time, and polling faster to see the end sooner adds no API work to the run."""
    import sqlite3

    with sqlite3.connect(database) as db:
        (latest,) = db.execute("SELECT max(indexed_at) FROM documents").fetchone()
    if latest is None:
        return None
    instant = datetime.fromisoformat(str(latest))
    return (instant if instant.tzinfo else instant.replace(tzinfo=UTC)).timestamp() - started


def name_queries(entry: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, name) to search: ``name``/``child_name`` (samples) or every one of ``names``
    (the generated office mix: one per document of a file)."""
    fields = entry.get("fields") or {}
    asked = [(label, fields[label]) for label in ("name", "child_name") if fields.get(label)]
    return asked + [(f"name{i}", name) for i, name in enumerate(fields.get("names") or [], start=1)]


def rank_of(client: httpx.Client, query: str, document_id: str | None, top: int) -> tuple[int | None, str]:
    """1-based rank of the document among the distinct documents of the first hits."""
    response = client.get("/api/v1/search", params={"q": query, "size": 20})
    response.raise_for_status()
    seen: list[tuple[str, str]] = []
    for hit in response.json()["hits"]:
        if hit["document_id"] not in [d for d, _ in seen]:
            seen.append((hit["document_id"], hit.get("filename") or "?"))
    ranks = [i for i, (doc, _) in enumerate(seen[:top], start=1) if doc == document_id]
    return (ranks[0] if ranks else None), (seen[0][1] if seen else "-")


def page_images(files: list[Path], out: Path) -> list[Path]:
    """Every page of every file as an image, the way a plain Tesseract run would see it."""
    from PIL import Image, ImageSequence

    images: list[Path] = []
    for path in files:
        if path.suffix.lower() == ".pdf":
            for page, dpi in pdf_page_dpis(path).items():
                prefix = out / f"{path.stem}-{page}"
                subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-singlefile",
                                "-f", str(page), "-l", str(page), str(path), str(prefix)], check=True)
                images.append(prefix.with_suffix(".pgm"))
        elif path.suffix.lower() in (".tif", ".tiff"):
            with Image.open(path) as tif:
                for i, frame in enumerate(ImageSequence.Iterator(tif)):
                    target = out / f"{path.stem}-{i + 1}.pnm"  # uncompressed: quick to write, to read
                    frame.save(target, format="PPM")
                    images.append(target)
        else:
            images.append(path)
    return images


def pdf_page_dpis(path: Path) -> dict[int, int]:
    """Each page at the resolution of its scanned image (300 dpi without one), like the pipeline."""
    from pypdf import PdfReader

    dpis = dict.fromkeys(range(1, len(PdfReader(path).pages) + 1), 300)
    listing = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True)
    for line in listing.stdout.splitlines()[2:]:
        cols = line.split()
        if len(cols) > 12 and cols[0].isdigit() and cols[12].isdigit():
            dpis[int(cols[0])] = int(cols[12])
    return dpis


@contextmanager
def raw_tesseract(files: list[Path], processes: int, languages: str = "vie"
                  ) -> Iterator[Callable[[], tuple[int, float, float]]]:
    """The scanned pages as images (rasterizing is not timed) and a call that times
    ``tesseract -l vie --psm 3`` on all of them, ``processes`` at a time: (pages, seconds,
    CPU seconds)."""
    from concurrent.futures import ThreadPoolExecutor

    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    with tempfile.TemporaryDirectory(prefix="sohoa-raw-") as tmp:
        rasterizing = time.monotonic()
        images = page_images(files, Path(tmp))
        if images:
            print(f"rasterized {len(images)} pages in {time.monotonic() - rasterizing:.1f}s (untimed)",
                  file=sys.stderr)

        def ocr(image: Path) -> None:
            subprocess.run(["tesseract", str(image), "stdout", "-l", languages, "--psm", "3"], env=env,
                           check=True, capture_output=True)

        def timed() -> tuple[int, float, float]:
            started, used = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
            with ThreadPoolExecutor(max_workers=processes) as pool:
                list(pool.map(ocr, images))
            seconds, done = time.monotonic() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
            return len(images), seconds, done.ru_utime + done.ru_stime - used.ru_utime - used.ru_stime

        yield timed


def check(samples: Path, api_url: str, key: str, env: dict[str, str], top: int,
          raw_processes: int | None = None, ratios: list[float] | None = None) -> int:
    """One round: raw Tesseract on the scanned pages, the upload through the whole path, raw
    Tesseract again; the pipeline is compared with the mean of the two raw runs, so a load
    that rises or falls during the round weighs on both sides alike."""
    truth = json.loads((samples / "truth.json").read_text(encoding="utf-8"))
    # Born-digital files (no scan dpi in the truth) are not OCR'd by the pipeline: raw
    # Tesseract gets only the scanned pages, and both throughputs count only those, so the
    # cheap text-layer pages flatter neither side.
    scanned = [samples / e["file"] for e in truth if e.get("dpi")]
    load_at_start = os.getloadavg()[0]
    with raw_tesseract(scanned if raw_processes else [], raw_processes or 1) as raw:
        before = raw() if raw_processes else None
        code, seconds, pages, path_cpu = upload_and_search(samples, truth, api_url, key, env, top)
        if before is None:
            return code
        after = raw()
    raw_pages = before[0]
    raw_seconds, raw_cpu = (before[1] + after[1]) / 2, (before[2] + after[2]) / 2
    print(f"raw `tesseract -l vie --psm 3` (scanned page images at their scan resolution, {raw_processes} "
          f"processes): {raw_pages} pages in {before[1]:.1f}s before the upload, {after[1]:.1f}s after; "
          f"mean {raw_seconds:.1f}s = {raw_pages / raw_seconds * 60:.1f} pages/min")
    ratio = raw_seconds / seconds  # the same pages on both sides
    print(f"throughput ratio pipeline / raw on the {raw_pages} scanned pages "
          f"({pages - raw_pages} born-digital pages ride along in the pipeline's time): {ratio:.2f}x")
    if path_cpu:  # what the ratio would be on cores nothing else uses: CPU, not wall time
        print(f"CPU: raw {raw_cpu:.1f}s, whole path {path_cpu:.1f}s; "
              f"CPU ratio raw / path {raw_cpu / path_cpu:.2f}x")
    print(f"load average (1 min) at the start of the round {load_at_start:.2f}, at its end {os.getloadavg()[0]:.2f}")
    if ratios is not None:
        ratios.append(ratio)
    return code


def upload_and_search(samples: Path, truth: list[dict[str, Any]], api_url: str, key: str,
                      env: dict[str, str], top: int) -> tuple[int, float, int, float | None]:
    """``sohoa ingest`` of the whole folder, then every name searched without diacritics;
    (exit code, seconds to all searchable, pages, CPU seconds of the whole path)."""
    stack_pid = int(env.get("E2E_STACK_PID", 0))
    cpu_before = stack_cpu(stack_pid) if stack_pid else {}
    batch_id, client_seconds, ingest_code, client_cpu, started = run_ingest(samples / "files", api_url, key, env)
    database = Path(env["SOHOA_VAR_DIR"]) / "sohoa.sqlite3" if env.get("SOHOA_VAR_DIR") else None
    seconds = (searchable_seconds(database, started) if database else None) or client_seconds
    path_cpu = print_stack_cpu(cpu_before, stack_cpu(stack_pid), seconds, client_cpu) if stack_pid else None
    with httpx.Client(base_url=api_url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
        batch = client.get(f"/api/v1/batches/{batch_id}").json()
        docs = {d["filename"]: d for d in batch["documents"]}
        rows, found, asked = [], 0, 0
        for entry in truth:
            name = Path(entry["file"]).name
            doc = docs.get(name, {})
            for label, person in name_queries(entry):
                query = fold(person).lower()
                rank, top_file = rank_of(client, query, doc.get("id"), top)
                asked += 1
                found += rank is not None
                rows.append((name, doc.get("status", "missing"), label, query, rank, top_file))
    _print_table(rows, top)
    if database:
        print_page_times(database, truth)
    indexed = sum(d.get("status") == "indexed" for d in docs.values())
    pages = sum(int(d.get("pages_total") or 0) for d in docs.values())
    print(f"\ndocuments indexed: {indexed}/{len(truth)}  (sohoa ingest exit code {ingest_code})")
    print(f"names found in top {top} (typed without diacritics): {found}/{asked}")
    print(f"pipeline: {pages} pages, upload to all searchable (last indexed_at) in {seconds:.1f}s = "
          f"{pages / seconds * 60:.1f} pages/min; the client saw it at {client_seconds:.1f}s")
    code = 0 if indexed == len(truth) and found == asked and ingest_code == 0 else 1
    return code, seconds, pages, path_cpu


def print_page_times(database: Path, truth: list[dict[str, Any]]) -> None:
    """Mean and total page time (the pages' own ``duration_ms``) per condition, read from the
    stack's database: where the workers' time went."""
    import sqlite3

    profile = {Path(e["file"]).name: e.get("profile", "?") for e in truth}
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT d.filename, p.duration_ms FROM pages p JOIN documents d ON d.id = p.document_id"
                          ).fetchall()
    per: dict[str, list[int]] = {}
    for filename, ms in rows:
        per.setdefault(profile.get(filename, "?"), []).append(int(ms or 0))
    print("\npage time by condition (duration_ms): " + ", ".join(
        f"{cond} {sum(v) / len(v):.0f} ms x{len(v)}" for cond, v in sorted(per.items())))
    print(f"sum of page times {sum(sum(v) for v in per.values()) / 1000:.1f}s")


def _print_table(rows: list[tuple[Any, ...]], top: int) -> None:
    print(f"\n{'file':<12} {'status':<9} {'field':<10} {'query (no diacritics)':<28} "
          f"{'rank':<5} top hit")
    for name, status, label, query, rank, top_file in rows:
        shown = str(rank) if rank else f">{top}"
        print(f"{name:<12} {status:<9} {label:<10} {query:<28} {shown:<5} {top_file}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=Path, default=Path("../shared/samples"))
    parser.add_argument("--api-url", help="Use a running stack instead of starting one.")
    parser.add_argument("--api-key", default=os.environ.get("SOHOA_API_KEY"))
    parser.add_argument("--workers", type=int, default=None, help="Workers of the own stack.")
    parser.add_argument("--top", type=int, default=3)
    parser.add_argument("--raw-tesseract", action="store_true",
                        help="Also time plain `tesseract -l vie` on the same pages, same process count.")
    parser.add_argument("--rounds", type=int, default=1,
                        help="Repeat (fresh stack each time) and print the median ratio; own stack only.")
    args = parser.parse_args(argv)
    if not (args.samples / "truth.json").is_file():
        parser.error(f"{args.samples} has no truth.json")
    raw = (args.workers or os.cpu_count() or 1) if args.raw_tesseract else None
    if args.api_url:
        if not args.api_key:
            parser.error("--api-key (or SOHOA_API_KEY) is needed with --api-url")
        return check(args.samples, args.api_url.rstrip("/"), args.api_key, dict(os.environ), args.top,
                     raw_processes=raw)
    codes: list[int] = []
    ratios: list[float] = []
    for round_no in range(1, args.rounds + 1):
        if args.rounds > 1:
            print(f"\n=== round {round_no}/{args.rounds}")
        with own_stack(args.workers) as (api_url, key, env):
            codes.append(check(args.samples, api_url, key, env, args.top, raw_processes=raw, ratios=ratios))
    if len(ratios) > 1:
        print(f"\nratios pipeline / raw: {', '.join(f'{r:.2f}' for r in ratios)}; "
              f"median {statistics.median(ratios):.2f}x")
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
