"""The fault scenarios of ``bench/faults/run.py``: each causes one fault for real on a
``Stack`` and returns its row of the table."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from bench.faults.stack import ROOT, Postgres, Row, Stack
from ingest import BatchMeta, ingest_paths
from sohoa.core.db import session_scope
from sohoa.core.vocab import DocumentStatus, Role
from sohoa.domain.keys import create_key
from tests.integration import workers_support as ws
from tests.integration.fault_support import fill, wait_for, worker_env
from tests.ports import free_port

DOCS, PAGES, RECOVER = 20, 3, 240.0


def scans(workdir: Path, count: int = DOCS, pages: int = PAGES) -> list[Path]:
    folder = workdir / "scans"
    folder.mkdir(exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"hs-{i:03d}.tif"
        path.write_bytes(ws.tiff_bytes([[f"Hồ sơ số {i} trang {p}", ws.LINES[(i + p) % 3][1]]
                                        for p in range(1, pages + 1)]))
        paths.append(path)
    return paths


def register(stack: Stack, paths: list[Path]) -> tuple[list[str], dict[str, int]]:
    outcome = ingest_paths(stack.settings, stack.services.sessions, stack.services.archive, paths, BatchMeta(),
                           enqueue=stack.services.queue.enqueue)
    ids = [f.document_id for f in outcome.files if f.document_id]
    return ids, {f.document_id: f.pages_total or 0 for f in outcome.files if f.document_id}


def finish(stack: Stack, row: Row, ids: list[str], pages: dict[str, int], sent: int) -> Row:
    if not stack.run_until_final(ids, RECOVER):
        row.note = (row.note + "; " if row.note else "") + f"not final within {RECOVER:.0f} s"
    return stack.count(row, ids, pages, sent)


def busy_for(stack: Stack, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        stack.supervise()
        stack.reconcile()
        time.sleep(0.5)


def worker_kills(workdir: Path, rng: random.Random, kills: int = 20) -> Row:
    stack = Stack(workdir, ocr_delay=0.3)
    try:
        paths = scans(workdir)
        ids, pages = register(stack, paths)
        done = 0
        while done < kills:
            time.sleep(rng.uniform(0.8, 1.6))
            victim = rng.randrange(stack.workers)
            stack.kill_worker(victim)  # SIGKILL to the worker's group: it and its Tesseract
            done += 1
            stack.supervise()
            stack.reconcile()
        row = finish(stack, Row(f"{kills} worker kills (SIGKILL)", len(paths)), ids, pages, len(paths))
        row.note = "pages read twice: " + str(_reads(workdir) - sum(pages.values()))
        return row
    finally:
        stack.close()


def _reads(workdir: Path) -> int:
    log = workdir / "pages-read.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def redis_restart(workdir: Path, rng: random.Random) -> Row:
    stack = Stack(workdir, ocr_delay=0.3)
    try:
        paths = scans(workdir)
        ids, pages = register(stack, paths)
        busy_for(stack, 3)
        stack.redis.kill()  # SIGKILL: the AOF (appendfsync always) keeps what was written
        time.sleep(5)
        stack.redis.start()
        return finish(stack, Row("Redis killed, restarted 5 s later", len(paths)), ids, pages, len(paths))
    finally:
        stack.close()


def database_restart(workdir: Path, rng: random.Random) -> Row:
    pg = Postgres(workdir)
    stack = Stack(workdir, database_url=pg.url, ocr_delay=0.3)
    try:
        paths = scans(workdir)
        ids, pages = register(stack, paths)
        busy_for(stack, 3)
        pg.stop()
        time.sleep(5)
        pg.start()
        return finish(stack, Row("PostgreSQL stopped (fast), started 5 s later", len(paths)), ids, pages,
                      len(paths))
    finally:
        stack.close()
        pg.stop()


def search_down(workdir: Path, rng: random.Random) -> Row:
    from tests import opensearch_node as osn
    from tests.integration.opensearch_support import FaultProxy

    osn.build()
    engine = osn.start_node(workdir / "opensearch")  # a real node (tests/opensearch_node)
    proxy = FaultProxy(engine.url)
    stack = Stack(workdir, ocr_delay=0.3, overrides={
        "search_backend": "opensearch", "opensearch_url": proxy.url, "opensearch_retries": 2,
        "opensearch_backoff_seconds": 0.1, "opensearch_timeout_seconds": 5, "opensearch_index": "bench-faults"})
    try:
        stack.services.search.ping()  # creates the index while the engine is up
        paths = scans(workdir)
        ids, pages = register(stack, paths)
        busy_for(stack, 2)
        proxy.down = True
        busy_for(stack, 15)  # most documents are read meanwhile and wait for the index
        proxy.down = False
        row = finish(stack, Row("search engine unreachable for 15 s", len(paths)), ids, pages, len(paths))
        return row
    finally:
        stack.close()
        proxy.close()
        engine.stop()


def disk_full(workdir: Path, rng: random.Random) -> Row:
    disk = workdir / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", str(disk)]).returncode != 0:
        return Row("archive disk full, then freed", 0, note="skipped: cannot mount a tmpfs here")
    stack = Stack(workdir, ocr_delay=0.3, overrides={"archive_dir": disk, "min_free_disk_mb": 2})
    try:
        paths = scans(workdir)
        ids, pages = register(stack, paths)
        busy_for(stack, 2)
        filler = fill(disk)
        busy_for(stack, 15)
        with stack.services.sessions() as session:
            from sqlalchemy import func, select

            from sohoa.core.models import Document
            waiting = session.scalar(select(func.count()).select_from(Document).where(
                Document.status == DocumentStatus.QUEUED, Document.retry_at.is_not(None)))
        filler.unlink()
        row = finish(stack, Row("archive disk full for 15 s, then freed", len(paths)), ids, pages, len(paths))
        row.note = f"{waiting} waiting for a retry while full; workers paused"
        return row
    finally:
        stack.close()


def api_killed(workdir: Path, rng: random.Random) -> Row:
    """`sohoa serve` SIGKILLed while a 20-file upload is on the wire; the client sends the
    folder again to a restarted API (what `sohoa ingest` does): each file once, no spool left."""
    stack = Stack(workdir, ocr_delay=0.1, overrides={"spool_stale_hours": 0.0005})
    port = free_port()
    env = {**worker_env(stack.settings), "SOHOA_PORT": str(port), "SOHOA_HOST": "127.0.0.1"}
    with session_scope(stack.services.sessions) as session:
        _, key = create_key(session, role=Role.CLERK, name="bench")

    def serve() -> subprocess.Popen[bytes]:
        log = open(workdir / "api.log", "ab")  # noqa: SIM115 - the child's
        proc = subprocess.Popen([sys.executable, "-m", "sohoa", "serve"], cwd=ROOT, env=env, stdout=log,
                                stderr=log, process_group=0)
        wait_for(lambda: _up(port), 30, "the API")
        return proc

    paths = scans(workdir)
    api = serve()
    try:
        sender = threading.Thread(target=_slow_upload, args=(port, key, paths), daemon=True)
        sender.start()
        time.sleep(1.5)
        os.killpg(api.pid, signal.SIGKILL)
        api.wait()
        sender.join(timeout=30)
        spooled = len(list((stack.settings.var_dir / "tmp" / "uploads").glob("upload-*")))
        time.sleep(2)  # older than the (tiny) stale margin
        api = serve()
        files = [("files", (p.name, p.read_bytes(), "image/tiff")) for p in paths]
        response = httpx.post(f"http://127.0.0.1:{port}/api/v1/batches", files=files,
                              headers={"Authorization": f"Bearer {key}"}, timeout=120)
        response.raise_for_status()
        docs = response.json()["documents"]
        ids = [d["id"] for d in docs]
        pages = {d["id"]: d["pages_total"] for d in docs}
        row = finish(stack, Row("API SIGKILLed mid-upload, folder sent again", len(paths)), ids, pages, len(paths))
        left = len(list((stack.settings.var_dir / "tmp" / "uploads").glob("upload-*")))
        row.note = f"spool files: {spooled} after the kill, {left} after the restart"
        return row
    finally:
        os.killpg(api.pid, signal.SIGKILL)
        stack.close()


def _up(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code in (200, 503)
    except httpx.HTTPError:
        return False


def _slow_upload(port: int, key: str, paths: list[Path]) -> None:
    """A multipart body streamed at a slow line's pace, cut when the API dies."""
    boundary = "sohoa-bench-boundary"

    def body():
        for p in paths:
            yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{p.name}\"\r\n"
                   "Content-Type: image/tiff\r\n\r\n").encode()
            data = p.read_bytes()
            for start in range(0, len(data), 8192):
                yield data[start:start + 8192]
                time.sleep(0.01)
            yield b"\r\n"
        yield f"--{boundary}--\r\n".encode()

    try:
        httpx.post(f"http://127.0.0.1:{port}/api/v1/batches", content=body(), timeout=60,
                   headers={"Authorization": f"Bearer {key}",
                            "Content-Type": f"multipart/form-data; boundary={boundary}"})
    except httpx.HTTPError:
        pass


def sigterm_long(workdir: Path, rng: random.Random, pages: int = 100) -> Row:
    """SIGTERM (what `docker compose stop` and Ctrl-C send) in the middle of a 100-page document."""
    stack = Stack(workdir, workers=1)
    try:
        paths = scans(workdir, count=1, pages=pages)
        ids, expected = register(stack, paths)
        wait_for(lambda: _pages_done(stack, ids[0]) >= pages // 3, 300, "a third of the pages")
        stopped = time.monotonic()
        stack.kill_worker(0, signal.SIGTERM)
        took = time.monotonic() - stopped
        at = _pages_done(stack, ids[0])
        row = finish(stack, Row(f"SIGTERM during a {pages}-page document", 1), ids, expected, 1)
        row.note = (f"stopped {took:.1f} s after SIGTERM at page {at}; pages read twice: "
                    f"{_reads(workdir) - pages}")
        return row
    finally:
        stack.close()


def _pages_done(stack: Stack, document_id: str) -> int:
    from sohoa.core.models import Document

    with stack.services.sessions() as session:
        doc = session.get(Document, document_id)
        return doc.pages_done if doc is not None else 0
