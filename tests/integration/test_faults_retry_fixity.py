"""Failed documents can be retried (and re-uploading their bytes says so), stale upload spool
files are removed, fixity checks find damaged and missing files, and ``/healthz`` shows what
needs an operator (issue 14, findings 3, 8, 13)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from rq import SimpleWorker
from sqlalchemy import select

from api import create_app
from ingest import upload_tmp_dir
from sohoa.cli import main
from sohoa.core.config import Settings
from sohoa.core.db import session_scope
from sohoa.core.models import AuditEvent, FixityCheck, StoredFile
from sohoa.core.vocab import DocumentStatus, FixityOutcome, FixityScope
from tests.integration import fault_support as fs
from tests.integration import workers_support as ws
from workers.jobs import context
from workers.jobs.document import process_document
from workers.jobs.fixity import nightly_due, run_fixity
from workers.jobs.reconciler import reconcile_once
from workers.ocr.tesseract import OcrResult


def unreadable(image: Path, **kwargs) -> OcrResult:
    raise ValueError("the engine cannot read this page today")


def cli_env(settings: Settings) -> dict[str, str]:
    return {k: v for k, v in fs.worker_env(settings).items() if k.startswith("SOHOA_")}


@pytest.fixture
def failed_upload(api, keys, worker_settings, redis_conn, session_factory) -> tuple[str, bytes]:
    """An uploaded scan that failed (the OCR engine could not read its only page)."""
    data = ws.png_bytes(ws.LINES[0])
    response = api.post("/api/v1/batches", files=[("files", ("a.png", data, "image/png"))],
                        headers=keys.auth("clerk"))
    doc_id = response.json()["documents"][0]["id"]
    ws.install_jobs(worker_settings, ocr_engine=unreadable)
    process_document(doc_id)
    assert fs.doc_state(session_factory, doc_id).status == DocumentStatus.FAILED
    ws.install_jobs(worker_settings)  # the engine works again
    return doc_id, data


def burst() -> None:
    queue = context.current().services.queue.rq
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def test_reuploading_a_failed_documents_bytes_offers_the_retry(api, keys, failed_upload) -> None:
    """Finding 3: the same bytes linked silently to the failed document, with no way back."""
    doc_id, data = failed_upload
    response = api.post("/api/v1/batches", files=[("files", ("again.png", data, "image/png"))],
                        headers=keys.auth("clerk"))
    assert response.status_code == 202
    item = response.json()["documents"][0]
    assert (item["id"], item["duplicate"], item["duplicate_of_failed"]) == (doc_id, True, True)
    assert item["status"] == "failed" and item["error"]["code"] == "duplicate_of_failed"
    assert item["error"]["detail"] == {"document_id": doc_id, "failed_code": "page_unreadable"}
    assert item["retry_url"] == f"/api/v1/documents/{doc_id}/retry"


def test_an_admin_retries_a_failed_document_and_it_is_indexed(api, keys, failed_upload, session_factory) -> None:
    doc_id, _ = failed_upload
    assert api.post(f"/api/v1/documents/{doc_id}/retry", headers=keys.auth("clerk")).status_code == 403
    response = api.post(f"/api/v1/documents/{doc_id}/retry", headers=keys.auth("admin"))
    assert response.status_code == 202 and response.json()["retried"] == [doc_id]
    again = api.post(f"/api/v1/documents/{doc_id}/retry", headers=keys.auth("admin"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_failed"
    assert api.post("/api/v1/documents/nope/retry", headers=keys.auth("admin")).status_code == 404
    doc = fs.doc_state(session_factory, doc_id)
    assert (doc.status, doc.error_code) == (DocumentStatus.QUEUED, None)
    assert fs.page_errors(session_factory, doc_id) == []  # the failed page is read again
    burst()
    assert fs.doc_state(session_factory, doc_id).status == DocumentStatus.INDEXED
    with session_scope(session_factory) as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "document.retry")).one()
        assert event.role == "admin" and event.target_id == doc_id


def test_retry_by_filter_and_from_the_command_line(api, keys, failed_upload, worker_settings,
                                                   session_factory) -> None:
    doc_id, _ = failed_upload
    empty = api.post("/api/v1/retry", json={}, headers=keys.auth("admin"))
    assert empty.status_code == 400 and empty.json()["error"]["code"] == "no_filter"
    other = api.post("/api/v1/retry", json={"error_code": "corrupt_file"}, headers=keys.auth("admin"))
    assert other.json()["retried"] == []
    runner = CliRunner()
    result = runner.invoke(main, ["retry", "--error-code", "page_unreadable"], env=cli_env(worker_settings),
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"queued again {doc_id}" in result.output and "1 document(s) queued again" in result.output
    assert fs.doc_state(session_factory, doc_id).status == DocumentStatus.QUEUED
    result = runner.invoke(main, ["retry", doc_id], env=cli_env(worker_settings), catch_exceptions=False)
    assert result.exit_code == 1 and "not failed" in result.output
    assert runner.invoke(main, ["retry"], env=cli_env(worker_settings)).exit_code == 2


def test_stale_upload_spool_files_are_removed_at_start_and_by_the_reconciler(settings, services) -> None:
    """Finding 8: spool files of a crashed API stayed in var/tmp/uploads for ever."""
    spool = upload_tmp_dir(settings)
    spool.mkdir(parents=True)
    old = [spool / "upload-dead1", spool / "upload-dead2"]
    for path in old:
        path.write_bytes(b"half an upload")
        stale = time.time() - settings.spool_stale_hours * 3600 - 60
        os.utime(path, (stale, stale))
    fresh = spool / "upload-live"
    fresh.write_bytes(b"being written")
    with TestClient(create_app(settings)):
        pass
    assert not old[0].exists() and fresh.exists()
    old[1].write_bytes(b"again")
    os.utime(old[1], (stale, stale))
    assert reconcile_once(services)["spool_removed"] == 1
    assert not old[1].exists() and fresh.exists()


def stored_files(session_factory) -> list[StoredFile]:
    with session_factory() as session:
        return list(session.scalars(select(StoredFile).order_by(StoredFile.id)))


def test_fixity_finds_a_corrupted_and_a_missing_file(api, keys, worker_settings, redis_conn, session_factory,
                                                     services) -> None:
    """Finding 13: checksums were stored but nothing ever checked them again."""
    ws.install_jobs(worker_settings)
    ids = [ws.add_document(worker_settings, session_factory, ws.text_pdf_bytes([lines]), "application/pdf",
                           f"{i}.pdf") for i, lines in enumerate(ws.LINES)]
    for doc_id in ids:
        process_document(doc_id)
    files = stored_files(session_factory)
    report = run_fixity(services, scope=FixityScope.ALL)
    assert (report.checked, report.problems) == (len(files), [])
    archive = services.archive
    damaged, lost = files[0], files[-1]
    path = archive.abspath(damaged.path)
    os.chmod(path, 0o600)
    path.write_bytes(path.read_bytes()[:-1] + b"X")  # one byte flipped at the end
    archive.abspath(lost.path).unlink()

    result = CliRunner().invoke(main, ["fixity", "--all"], env=cli_env(worker_settings), catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert f"mismatch: {damaged.path}" in result.output and f"missing: {lost.path}" in result.output
    body = api.get("/healthz").json()
    fixity = body["components"]["fixity"]
    assert (body["status"], fixity["status"]) == ("degraded", "degraded")
    assert (fixity["detail"]["mismatch"], fixity["detail"]["missing"]) == (1, 1)
    assert fixity["detail"]["last_run"]["problems"] == 2
    with session_factory() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("fixity.%"))).all()
        outcomes = session.scalars(select(FixityCheck.outcome).where(
            FixityCheck.stored_file_id == damaged.id).order_by(FixityCheck.id)).all()
    assert sorted(actions) == ["fixity.mismatch", "fixity.missing", "fixity.run", "fixity.run"]
    assert outcomes == [FixityOutcome.OK, FixityOutcome.MISMATCH]


def test_the_nightly_share_checks_the_least_recently_checked_files_first(worker_settings, redis_conn,
                                                                        session_factory, services) -> None:
    from datetime import UTC, datetime

    ws.install_jobs(worker_settings)
    for i, lines in enumerate(ws.LINES):
        process_document(ws.add_document(worker_settings, session_factory, ws.text_pdf_bytes([lines]),
                                         "application/pdf", f"{i}.pdf"))
    total = len(stored_files(session_factory))
    night = datetime(2026, 5, 1, 20, 0, tzinfo=UTC)  # 03:00 in Vietnam
    assert not nightly_due(services, datetime(2026, 5, 1, 17, 0, tzinfo=UTC))  # 00:00: before fixity_hour
    assert nightly_due(services, night)
    seen: set[int] = set()
    for _ in range(3):  # a third each time: all of them in three nights, none twice
        report = run_fixity(services, scope=FixityScope.SHARE, share=1 / 3)
        with session_factory() as session:
            latest = set(session.scalars(select(FixityCheck.stored_file_id).where(
                FixityCheck.run_id == report.run_id)))
        assert not latest & seen
        seen |= latest
    assert len(seen) == total
    assert not nightly_due(services)  # already ran on this Vietnam day (or it is before fixity_hour)
