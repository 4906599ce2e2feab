"""Transient faults inside a job never fail a page or a document (issue 14): the document goes
back to ``queued`` with a retry time, its content attempts untouched, and finishes once the
fault is over. Real Redis, real databases, real Tesseract, a real full disk (tmpfs)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from rq import SimpleWorker
from sqlalchemy import select, update

from sohoa.core.clock import utcnow
from sohoa.core.config import Settings
from sohoa.core.db import session_scope
from sohoa.core.models import Document, Page
from sohoa.core.vocab import DocumentStatus, PageStatus
from tests.integration import fault_support as fs
from tests.integration import workers_support as ws
from workers.jobs import context
from workers.jobs.document import claim_document, process_document
from workers.jobs.reconciler import reconcile_once
from workers.ocr.tesseract import OcrResult, ocr_image


@pytest.fixture
def qsettings(worker_settings: Settings, redis_conn) -> Settings:
    return worker_settings


def burst() -> None:
    queue = context.current().services.queue.rq
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def make_due(sessions) -> None:
    """The backoff has passed (a test does not wait 15 s)."""
    with session_scope(sessions) as session:
        session.execute(update(Document).where(Document.retry_at.is_not(None))
                        .values(retry_at=utcnow() - timedelta(seconds=1)))


def test_a_redis_error_inside_a_page_requeues_the_document_instead_of_failing_the_page(
        qsettings, session_factory) -> None:
    """Finding 1: RQ's SIGTERM handler raised redis' ConnectionError inside the running page;
    the pipeline recorded it as ``page_unreadable`` and the document was indexed without it."""
    calls = {"n": 0}

    def redis_dies_on_page_2(image: Path, **kwargs) -> OcrResult:
        calls["n"] += 1
        if calls["n"] == 2:
            raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        return ocr_image(image, **kwargs)

    ws.install_jobs(qsettings, ocr_engine=redis_dies_on_page_2)
    doc_id = ws.add_document(qsettings, session_factory, ws.tiff_bytes(ws.LINES), "image/tiff", "three.tif")
    process_document(doc_id)
    doc = fs.doc_state(session_factory, doc_id)
    assert (doc.status, doc.pages_done, doc.error_code) == (DocumentStatus.QUEUED, 1, None)
    assert doc.retry_at is not None and doc.retry_at > utcnow()
    assert doc.last_fault is not None and doc.last_fault.startswith("redis_unavailable")
    assert (doc.transient_failures, doc.stalled_claims) == (1, 0)
    assert fs.page_errors(session_factory, doc_id) == []
    assert reconcile_once(context.current().services)["lost"] == 0  # not before its retry time
    make_due(session_factory)
    assert reconcile_once(context.current().services)["lost"] == 1
    burst()
    doc = fs.doc_state(session_factory, doc_id)
    assert (doc.status, doc.pages_done, doc.transient_failures, doc.retry_at) == (DocumentStatus.INDEXED, 3, 0, None)


def test_transient_stops_never_spend_content_attempts(qsettings, session_factory) -> None:
    """Finding 2: RQ retries and re-enqueues spent the same ``attempts``; ten outages in a
    row used to end as ``too_many_attempts`` with the false reason that the worker died."""
    down = {"on": True}

    def database_down(image: Path, **kwargs) -> OcrResult:
        if down["on"]:
            raise OSError(28, "No space left on device")
        return ocr_image(image, **kwargs)

    ws.install_jobs(qsettings, ocr_engine=database_down)
    doc_id = ws.add_document(qsettings, session_factory, ws.png_bytes(ws.LINES[0]), "image/png", "a.png")
    for _ in range(qsettings.job_retries + 6):
        process_document(doc_id)
        make_due(session_factory)
    doc = fs.doc_state(session_factory, doc_id)
    assert (doc.status, doc.error_code, doc.stalled_claims) == (DocumentStatus.QUEUED, None, 0)
    assert doc.transient_failures == qsettings.job_retries + 6
    down["on"] = False
    process_document(doc_id)
    assert fs.doc_state(session_factory, doc_id).status == DocumentStatus.INDEXED


def test_the_backoff_grows_and_is_capped(qsettings, session_factory) -> None:
    from workers.jobs.lease import backoff_seconds

    ctx = context.current()
    first, longest = qsettings.transient_retry_seconds, qsettings.transient_retry_max_seconds
    assert [backoff_seconds(ctx, n) for n in range(3)] == [first, first * 2, first * 4]
    assert backoff_seconds(ctx, 50) == longest


def test_an_unexpected_error_is_retried_then_failed_with_its_own_reason(
        qsettings, session_factory, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug is not a dying worker: the give-up message says what failed."""
    from workers.jobs import document

    def raising(*args, **kwargs):
        raise KeyError("a bug outside any page")

    monkeypatch.setattr(document, "process_page", raising)  # a fault we cannot cause for real
    qsettings = qsettings.model_copy(update={"job_retries": 1})
    ws.install_jobs(qsettings)
    doc_id = ws.add_document(qsettings, session_factory, ws.png_bytes(ws.LINES[0]), "image/png", "a.png")
    for _ in range(qsettings.job_retries + 1):
        with pytest.raises(KeyError):
            process_document(doc_id)
    process_document(doc_id)
    doc = fs.doc_state(session_factory, doc_id)
    assert (doc.status, doc.error_code) == (DocumentStatus.FAILED, "processing_error")
    assert doc.error_message is not None and "KeyError" in doc.error_message


def test_the_lease_is_renewed_while_a_page_runs_longer_than_it(qsettings, session_factory) -> None:
    """Finding 12: the lease was renewed only between pages, so a page slower than the lease
    let a second worker claim the document."""
    qsettings = qsettings.model_copy(update={"lease_seconds": 1})
    jobs = ws.install_jobs(qsettings, ocr_engine=fs.slow_engine(3.5))
    doc_id = ws.add_document(qsettings, session_factory, ws.png_bytes(ws.LINES[0]), "image/png", "slow.png")
    runner = threading.Thread(target=process_document, args=(doc_id,))
    runner.start()
    try:
        fs.wait_for(lambda: fs.doc_state(session_factory, doc_id).status == DocumentStatus.PROCESSING, 10,
                    "the claim")
        for _ in range(5):  # 2.5 s: more than twice the lease, page still running
            time.sleep(0.5)
            assert claim_document(jobs, doc_id) is None, "a second claim succeeded while the page ran"
            assert reconcile_once(jobs.services)["expired"] == 0
    finally:
        runner.join(timeout=60)
    doc = fs.doc_state(session_factory, doc_id)
    assert (doc.status, doc.attempts, doc.pages_done) == (DocumentStatus.INDEXED, 1, 1)


def test_a_full_archive_disk_requeues_every_document_and_all_finish_once_freed(
        qsettings, session_factory, tmp_path) -> None:
    """Finding 2 on a real full disk: 18 of 20 documents used to end ``failed`` as
    ``too_many_attempts`` and stayed failed after space was freed."""
    with fs.small_tmpfs(tmp_path / "archive-disk") as disk:
        settings = qsettings.model_copy(update={"archive_dir": disk, "min_free_disk_mb": 0})
        ws.install_jobs(settings)
        ids = [ws.add_document(settings, session_factory, ws.png_bytes([f"Hồ sơ số {i}", *ws.LINES[i % 3]]),
                               "image/png", f"{i}.png") for i in range(6)]
        filler = fs.fill(disk)
        for doc_id in ids:
            context.current().services.queue.enqueue(doc_id)
        burst()
        for _ in range(2):  # twice more while still full: never failed, never counted
            make_due(session_factory)
            reconcile_once(context.current().services)
            burst()
        states = [fs.doc_state(session_factory, d) for d in ids]
        assert {d.status for d in states} == {DocumentStatus.QUEUED}
        assert all(d.last_fault and d.last_fault.startswith("disk_full") for d in states)
        assert all(d.stalled_claims == 0 and d.error_code is None for d in states)
        with session_scope(session_factory) as session:
            assert session.scalars(select(Page.status).where(Page.status == PageStatus.FAILED)).all() == []
        filler.unlink()
        make_due(session_factory)
        assert reconcile_once(context.current().services)["lost"] == len(ids)
        burst()
        states = [fs.doc_state(session_factory, d) for d in ids]
        assert [(d.status, d.pages_done) for d in states] == [(DocumentStatus.INDEXED, 1)] * len(ids)
