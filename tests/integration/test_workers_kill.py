"""A worker SIGKILLed in the middle of a document: the reconciler re-enqueues it once the
lease expires and a new worker finishes it, reading each remaining page once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from rq import SimpleWorker
from sqlalchemy import select

from sohoa.core.config import Settings
from sohoa.core.db import session_scope
from sohoa.core.models import Document, Page
from sohoa.core.vocab import DocumentStatus, PageStatus
from tests.integration import workers_support as ws
from workers.jobs.reconciler import reconcile_once
from workers.ocr.tesseract import OcrResult, ocr_image

ROOT = Path(__file__).resolve().parents[2]
LEASE = 2


def start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    """``run_worker`` as a separate process (it runs the jobs itself, no work horse)."""
    env = {**os.environ, "SOHOA_DATABASE_URL": settings.database_url, "SOHOA_REDIS_URL": settings.redis_url,
           "SOHOA_QUEUE_NAME": settings.queue_name, "SOHOA_VAR_DIR": str(settings.var_dir),
           "SOHOA_LEASE_SECONDS": str(LEASE)}
    code = ("from sohoa.core.config import Settings; from sohoa.services import Services; "
            "from workers.jobs.runner import run_worker; run_worker(Services.build(Settings(_env_file=None)))")
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def descendants(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return []
    found = [int(c) for c in children]
    return found + [d for c in found for d in descendants(c)]


def kill_hard(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and everything it started (its Tesseract), as an OOM killer or a
    power cut would."""
    family = [proc.pid, *descendants(proc.pid)]
    for pid in family:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=10)


def progress(sessions, document_id: str) -> tuple[str, int]:
    with session_scope(sessions) as session:
        doc = session.get(Document, document_id)
        assert doc is not None
        return doc.status, doc.pages_done


def test_killed_worker_job_is_retried_and_finished(settings, redis_conn, session_factory) -> None:
    settings = settings.model_copy(update={"lease_seconds": LEASE})
    reads: list[str] = []

    def counting(image: Path, **kwargs) -> OcrResult:  # this process's OCR, after the kill
        reads.append(image.name)
        return ocr_image(image, **kwargs)

    # twelve pages: long enough to be killed in the middle even when a loaded machine is
    # slow to poll the progress (six were read to the end once under a load of 10)
    pages = ws.LINES * 4
    doc_id = ws.add_document(settings, session_factory, ws.tiff_bytes(pages), "image/tiff", "long.tif")
    jobs = ws.install_jobs(settings, ocr_engine=counting)
    jobs.services.queue.enqueue(doc_id)
    worker = start_worker(settings)
    try:
        deadline = time.monotonic() + 60
        while progress(session_factory, doc_id)[1] < 1:
            assert time.monotonic() < deadline, "the worker never finished a page"
            assert worker.poll() is None, "the worker died on its own"
            time.sleep(0.05)
    finally:
        kill_hard(worker)
    status, done_before = progress(session_factory, doc_id)
    assert status == DocumentStatus.PROCESSING and 1 <= done_before < len(pages)

    assert reconcile_once(jobs.services)["expired"] == 0  # the lease still holds
    time.sleep(LEASE + 0.5)
    assert reconcile_once(jobs.services)["expired"] == 1

    try:
        queue = jobs.services.queue.rq
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
    finally:
        ws.close_jobs()
    with session_scope(session_factory) as session:
        doc = session.get(Document, doc_id)
        assert doc is not None
        assert (doc.status, doc.attempts) == (DocumentStatus.INDEXED, 2)
        assert doc.pages_done == doc.pages_total == len(pages)
        statuses = session.scalars(select(Page.status).where(Page.document_id == doc_id)).all()
    assert statuses == [PageStatus.DONE] * len(pages)
    assert len(reads) == len(pages) - done_before  # pages done before the kill were not redone
