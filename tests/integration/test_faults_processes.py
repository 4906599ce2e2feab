"""Faults with real processes and real kills (issue 14): a worker's RQ scheduler dies with
it, a supervised child's leftovers are killed, SIGTERM stops a job between pages even with
Redis gone, and a worker pauses on a full disk and resumes when space returns."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from api import create_app
from sohoa.core.db import session_scope
from sohoa.core.models import Page
from sohoa.core.vocab import DocumentStatus, PageStatus
from sohoa.services import Services
from sohoa.stack.supervisor import ChildSpec, Supervisor
from tests.integration import fault_support as fs
from tests.integration import workers_support as ws


def scheduler_of(worker: subprocess.Popen[bytes]) -> int:
    """The pid of the RQ scheduler the worker forked (its only Python child)."""
    found: list[int] = []

    def forked() -> bool:
        found[:] = [p for p in fs.descendants(worker.pid)
                    if Path(f"/proc/{p}/cmdline").read_bytes().startswith(sys.executable.encode())]
        return bool(found)

    fs.wait_for(forked, 30, "the worker's RQ scheduler")
    return found[0]


def test_a_killed_workers_scheduler_dies_with_it(settings, redis_conn) -> None:
    """Finding 9: SIGKILL on a worker left its RQ scheduler child running for ever."""
    worker = fs.start_worker(settings)
    try:
        scheduler = scheduler_of(worker)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        fs.wait_for(lambda: not fs.alive(scheduler), 10, "the orphaned scheduler to exit")
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        for pid in fs.descendants(worker.pid):
            os.kill(pid, signal.SIGKILL)


def test_the_supervisor_kills_what_a_dead_child_left_in_its_group(tmp_path) -> None:
    """Finding 9, supervisor side: only the groups of current children were killed."""
    pidfile = tmp_path / "grandchild"
    code = ("import subprocess, sys, time; p = subprocess.Popen(['sleep', '300']); "
            f"open({str(pidfile)!r}, 'w').write(str(p.pid)); time.sleep(0.3); sys.exit(3)")
    supervisor = Supervisor([ChildSpec("dies", [sys.executable, "-c", code])], log=lambda _: None)
    supervisor.start_all()
    try:
        fs.wait_for(lambda: pidfile.exists() and pidfile.read_text() != "", 10, "the grandchild")
        grandchild = int(pidfile.read_text())
        child = supervisor.children[0].proc
        assert child is not None
        child.wait(timeout=10)
        assert fs.alive(grandchild)
        supervisor.check_children()
        fs.wait_for(lambda: not fs.alive(grandchild), 5, "the dead child's leftover to be killed")
    finally:
        supervisor.stop_requested = True
        supervisor.stop_all()


def test_sigterm_while_redis_is_down_stops_between_pages_and_blames_no_page(settings, tmp_path,
                                                                           session_factory) -> None:
    """Finding 1: RQ's SIGTERM handler wrote to Redis; with Redis gone it raised
    ``ConnectionError`` inside the running page, recorded as ``page_unreadable``."""
    with fs.private_redis(tmp_path) as server:
        settings = settings.model_copy(update={"redis_url": server.url})
        doc_id = ws.add_document(settings, session_factory, ws.tiff_bytes(ws.LINES), "image/tiff", "t.tif")
        with Services.build(settings) as services:
            services.queue.enqueue(doc_id)
        worker = fs.start_worker(settings, ocr_delay=1.5, log=tmp_path / "worker.log")
        try:
            fs.wait_for(lambda: fs.doc_state(session_factory, doc_id).status == DocumentStatus.PROCESSING, 30,
                        "the worker to start the document")
            server.kill()
            worker.send_signal(signal.SIGTERM)  # what `sohoa run` does when its Redis died
            worker.wait(timeout=30)
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
        doc = fs.doc_state(session_factory, doc_id)
        log = (tmp_path / "worker.log").read_text()
        assert fs.page_errors(session_factory, doc_id) == [], log
        assert doc.status == DocumentStatus.QUEUED and doc.pages_done < 3, log
        assert doc.last_fault is not None and doc.last_fault.startswith("worker_shutdown")
        assert (doc.stalled_claims, doc.error_code) == (0, None)


def test_sigterm_during_a_long_document_stops_after_the_page_and_the_next_worker_resumes(
        settings, redis_conn, tmp_path, session_factory) -> None:
    pages = ws.LINES * 3  # nine pages
    doc_id = ws.add_document(settings, session_factory, ws.tiff_bytes(pages), "image/tiff", "long.tif")
    with Services.build(settings) as services:
        services.queue.enqueue(doc_id)
    worker = fs.start_worker(settings, ocr_delay=0.5, log=tmp_path / "worker.log")
    try:
        fs.wait_for(lambda: fs.doc_state(session_factory, doc_id).pages_done >= 2, 60, "two pages")
        stopped = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        took = time.monotonic() - stopped
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    doc = fs.doc_state(session_factory, doc_id)
    assert worker.returncode == 0 and took < 10  # one page, not the seven left
    assert doc.status == DocumentStatus.QUEUED and 2 <= doc.pages_done < len(pages)
    assert doc.retry_at is not None and doc.transient_failures == 0
    done_before = doc.pages_done
    with Services.build(settings) as services:
        from workers.jobs.reconciler import reconcile_once

        assert reconcile_once(services)["lost"] == 1
    worker = fs.start_worker(settings, log=tmp_path / "worker2.log")
    try:
        fs.wait_for(lambda: fs.doc_state(session_factory, doc_id).status == DocumentStatus.INDEXED, 120,
                    "the next worker to finish the document")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    doc = fs.doc_state(session_factory, doc_id)
    with session_scope(session_factory) as session:
        statuses = session.scalars(select(Page.status).where(Page.document_id == doc_id)).all()
    assert statuses == [PageStatus.DONE] * len(pages)
    assert (doc.attempts, doc.pages_done) == (2, len(pages)) and done_before >= 2


def test_a_worker_pauses_on_a_full_disk_reports_it_and_resumes_when_space_returns(
        settings, redis_conn, tmp_path, session_factory) -> None:
    with fs.small_tmpfs(tmp_path / "disk") as disk:
        settings = settings.model_copy(update={"archive_dir": disk, "min_free_disk_mb": 4})
        doc_id = ws.add_document(settings, session_factory, ws.png_bytes(ws.LINES[2]), "image/png", "p.png")
        filler = fs.fill(disk, leave_bytes=1024 * 1024)
        worker = fs.start_worker(settings, log=tmp_path / "worker.log")
        try:
            with Services.build(settings) as services:
                fs.wait_for(lambda: services.queue.paused_workers() != {}, 30, "the worker to report its pause")
                services.queue.enqueue(doc_id)
                with TestClient(create_app(settings)) as api:
                    body = api.get("/healthz").json()
                assert body["status"] == "degraded"
                assert body["components"]["disk"]["status"] == "degraded"
                assert "disk_full" in body["components"]["workers"]["error"]
                time.sleep(2)
                assert fs.doc_state(session_factory, doc_id).status == DocumentStatus.QUEUED  # not taken
                filler.unlink()
                fs.wait_for(lambda: fs.doc_state(session_factory, doc_id).status == DocumentStatus.INDEXED, 60,
                            "the worker to resume and finish the document")
                assert services.queue.paused_workers() == {}
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
