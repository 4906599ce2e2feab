"""Jobs through real Redis (python-rq style: in-process ``SimpleWorker`` bursts), search
outages, the reconciler and reindexing."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

import pytest
from rq import SimpleWorker
from rq.job import Job
from sqlalchemy import update

from search import IndexedDocument, SearchBackend, SearchQuery, open_backend
from search.errors import SearchUnavailable
from sohoa.core.clock import utcnow
from sohoa.core.config import Settings
from sohoa.core.db import session_scope
from sohoa.core.models import Document
from sohoa.core.vocab import DocumentStatus, IndexState
from sohoa.services import Services
from sohoa.services.queue import job_id_for
from tests.integration import workers_support as ws
from tests.integration.legacy_index import write_legacy_index
from workers.jobs import context
from workers.jobs.document import process_document
from workers.jobs.indexing import reindex_all
from workers.jobs.reconciler import IndexUpgrade, reconcile_once
from workers.ocr.tesseract import OcrResult, ocr_image


@pytest.fixture
def qsettings(worker_settings: Settings, redis_conn) -> Settings:
    return worker_settings


def jobs() -> Services:
    """The ``Services`` the jobs of this process run with."""
    return context.current().services


def burst(settings: Settings) -> None:
    queue = jobs().queue.rq
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def doc_row(sessions, document_id: str) -> Document:
    with session_scope(sessions) as session:
        doc = session.get(Document, document_id)
        assert doc is not None
        session.expunge(doc)
        return doc


def search_total(settings: Settings, q: str) -> tuple[int, list[str]]:
    backend = open_backend(settings)
    try:
        result = backend.search(SearchQuery(q=q))
        return result.total, [h.document_id for h in result.hits]
    finally:
        backend.close()


def test_enqueue_sets_timeout_retry_and_is_not_duplicated(qsettings, session_factory) -> None:
    doc_id = ws.add_document(qsettings, session_factory, ws.png_bytes(ws.LINES[0]), "image/png", "a.png")
    jobs().queue.enqueue(doc_id)
    jobs().queue.enqueue(doc_id)
    queue = jobs().queue.rq
    assert queue.count == 1
    job = Job.fetch(job_id_for(doc_id), connection=queue.connection)
    assert job.timeout == qsettings.job_timeout_seconds
    assert job.retries_left == qsettings.job_retries and job.retry_intervals == [10, 60, 300]
    assert doc_row(session_factory, doc_id).enqueued_at is not None
    burst(qsettings)
    doc = doc_row(session_factory, doc_id)
    assert (doc.status, doc.attempts, doc.pages_done) == (DocumentStatus.INDEXED, 1, 1)
    assert search_total(qsettings, "nguyen thi hong nhung")[1] == [doc_id]


class FlakyBackend:
    """Fault we cannot cause for real on an embedded index: the search engine is down."""

    down = True

    def __init__(self, real: SearchBackend) -> None:
        self.real = real

    def index_documents(self, documents: Iterable[IndexedDocument]) -> None:
        if FlakyBackend.down:
            raise SearchUnavailable("search engine unreachable")
        self.real.index_documents(documents)

    def close(self) -> None:
        self.real.close()


def test_search_outage_leaves_documents_pending_then_reconciler_indexes_them(
    qsettings, session_factory
) -> None:
    flaky = FlakyBackend(open_backend(qsettings))
    ws.install_jobs(qsettings, search=flaky)  # type: ignore[arg-type]  # a partial fake: indexing and close only
    FlakyBackend.down = True
    ids = [ws.add_document(qsettings, session_factory, ws.png_bytes(lines), "image/png", f"{i}.png")
           for i, lines in enumerate(ws.LINES[:2])]
    for doc_id in ids:
        jobs().queue.enqueue(doc_id)
    burst(qsettings)
    for doc_id in ids:
        doc = doc_row(session_factory, doc_id)
        assert (doc.status, doc.index_state, doc.pages_done) == (DocumentStatus.PROCESSING, IndexState.PENDING, 1)
        assert doc.processed_at is not None and doc.index_error is not None and "unreachable" in doc.index_error
    assert reconcile_once(jobs())["indexed"] == 0  # still down: nothing lost, nothing done
    FlakyBackend.down = False
    counts = reconcile_once(jobs())
    assert (counts["index_pending"], counts["indexed"], counts["expired"]) == (2, 2, 0)
    for doc_id in ids:
        doc = doc_row(session_factory, doc_id)
        assert (doc.status, doc.index_state, doc.attempts) == (DocumentStatus.INDEXED, IndexState.INDEXED, 1)
    assert search_total(qsettings, "nguyen thi hong nhung") == (1, [ids[0]])
    assert search_total(qsettings, "da nang") == (1, [ids[1]])
    backend = open_backend(qsettings)
    assert backend.count() == 2  # one page each, none duplicated
    backend.close()


def test_reconciler_requeues_a_queued_document_whose_job_redis_lost(qsettings, session_factory) -> None:
    doc_id = ws.add_document(qsettings, session_factory, ws.png_bytes(ws.LINES[1]), "image/png", "b.png")
    with session_scope(session_factory) as session:  # registered long ago, never enqueued
        session.execute(update(Document).where(Document.id == doc_id)
                        .values(created_at=utcnow() - timedelta(hours=1)))
    assert reconcile_once(jobs())["lost"] == 1
    assert reconcile_once(jobs())["lost"] == 0  # the job is live now
    burst(qsettings)
    assert doc_row(session_factory, doc_id).status == DocumentStatus.INDEXED


def test_a_worker_that_lost_its_lease_stops_without_finishing(qsettings, session_factory) -> None:
    """While page 1 is read, another worker claims the document (our lease had expired)."""

    def stolen(image: Path, **kwargs) -> OcrResult:
        with session_scope(session_factory) as session:
            session.execute(update(Document).values(attempts=Document.attempts + 1))
        return ocr_image(image, **kwargs)

    ws.install_jobs(qsettings, ocr_engine=stolen)
    doc_id = ws.add_document(qsettings, session_factory, ws.tiff_bytes(ws.LINES[:2]), "image/tiff", "t.tif")
    process_document(doc_id)
    doc = doc_row(session_factory, doc_id)
    assert (doc.status, doc.pages_done, doc.processed_at) == (DocumentStatus.PROCESSING, 0, None)


def test_a_document_whose_worker_keeps_dying_is_given_up(qsettings, session_factory) -> None:
    doc_id = ws.add_document(qsettings, session_factory, ws.png_bytes(ws.LINES[1]), "image/png", "b.png")
    with session_scope(session_factory) as session:  # that many claims in a row ended without a page
        session.execute(update(Document).where(Document.id == doc_id).values(
            status=DocumentStatus.PROCESSING, attempts=9, stalled_claims=qsettings.job_retries + 1,
            lease_expires_at=utcnow()))
    process_document(doc_id)
    doc = doc_row(session_factory, doc_id)
    assert (doc.status, doc.error_code) == (DocumentStatus.FAILED, "too_many_attempts")
    assert doc.error_message is not None and "the worker died" in doc.error_message


def test_claims_that_finish_pages_are_not_counted_as_deaths(qsettings, session_factory) -> None:
    """Many claims (worker kills mid-document) but each finished a page: not given up."""
    doc_id = ws.add_document(qsettings, session_factory, ws.png_bytes(ws.LINES[1]), "image/png", "b.png")
    with session_scope(session_factory) as session:
        session.execute(update(Document).where(Document.id == doc_id).values(
            status=DocumentStatus.PROCESSING, attempts=qsettings.job_retries + 5, stalled_claims=1,
            lease_expires_at=utcnow()))
    process_document(doc_id)
    doc = doc_row(session_factory, doc_id)
    assert (doc.status, doc.stalled_claims) == (DocumentStatus.INDEXED, 0)


def test_reindex_all_rebuilds_the_index_from_the_database(qsettings, session_factory) -> None:
    ids = [ws.add_document(qsettings, session_factory, ws.text_pdf_bytes([lines]), "application/pdf", f"{i}.pdf")
           for i, lines in enumerate(ws.LINES)]
    for doc_id in ids:
        process_document(doc_id)
    backend = open_backend(qsettings)
    backend.rebuild([])  # index lost
    assert backend.count() == 0
    backend.close()
    seen: list[tuple[int, int]] = []
    assert reindex_all(jobs(), progress=lambda done, total: seen.append((done, total))) == 3
    assert seen[0] == (0, 3) and seen[-1] == (3, 3)
    assert search_total(qsettings, "ben nghe") == (1, [ids[2]])


@pytest.mark.parametrize("schema", [2, 3])
def test_the_reconciler_rebuilds_an_embedded_index_written_by_an_older_sohoa(qsettings, session_factory,
                                                                             schema: int) -> None:
    """An upgrade leaves an index file of an older layout (schema 3: the names of a file's first
    record only): searches answer unavailable, the reconciler's upgrade thread rebuilds it
    from the database, then documents are found."""

    ids = [ws.add_document(qsettings, session_factory, ws.text_pdf_bytes([lines]), "application/pdf", f"{i}.pdf")
           for i, lines in enumerate(ws.LINES)]
    for doc_id in ids:
        process_document(doc_id)
    path = qsettings.search_sqlite_path
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    write_legacy_index(path, schema)
    upgrade = IndexUpgrade(jobs())
    assert jobs().search.needs_rebuild() is True
    assert upgrade.maybe_start() is True
    assert upgrade.thread is not None
    upgrade.thread.join(60)
    assert jobs().search.needs_rebuild() is False
    assert upgrade.maybe_start() is False  # nothing left to do
    assert search_total(qsettings, "ben nghe") == (1, [ids[2]])


def test_a_second_rebuild_of_the_same_index_is_refused_while_one_runs(qsettings, session_factory) -> None:
    from workers.jobs.rebuild_lock import RebuildRunning, rebuild_lock

    ws.add_document(qsettings, session_factory, ws.text_pdf_bytes([ws.LINES[0]]), "application/pdf", "a.pdf")
    # a rebuild in progress (another process, as far as Redis knows)
    with rebuild_lock(qsettings, jobs().queue.connection):
        with pytest.raises(RebuildRunning) as refused:
            reindex_all(jobs())
        assert refused.value.code == "rebuild_running"
    assert reindex_all(jobs()) == 0  # free again (nothing processed yet: no documents to index)


def test_rebuild_goes_ahead_without_redis(qsettings, session_factory) -> None:
    unreachable = qsettings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    with Services.build(unreachable) as services:
        assert reindex_all(services) == 0


def test_a_long_rebuild_keeps_its_lock_alive(qsettings, monkeypatch: pytest.MonkeyPatch) -> None:
    from workers.jobs import rebuild_lock as rl

    monkeypatch.setattr(rl, "LOCK_SECONDS", 1.0)
    monkeypatch.setattr(rl, "RENEW_EVERY", 0.0)
    redis = jobs().queue.connection
    with rl.rebuild_lock(qsettings, redis) as keep_alive:
        for _ in range(3):  # 1.5 s in all: longer than the lock lives unless renewed
            time.sleep(0.5)
            keep_alive()
        with pytest.raises(rl.RebuildRunning), rl.rebuild_lock(qsettings, redis):
            pass
