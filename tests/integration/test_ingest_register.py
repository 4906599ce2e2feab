"""ingest without the web layer: local paths, metadata checks, concurrent identical uploads."""

from __future__ import annotations

import stat
import threading

import pytest
from sqlalchemy import func, select

from ingest import BatchMeta, ingest_paths, upload_tmp_dir
from sohoa.core.errors import BadRequest
from sohoa.core.models import Batch, BatchItem, Document
from sohoa.storage.archive import ArchiveStore
from tests import filegen


def test_ingest_paths_registers_and_enqueues_each_new_document_once(tmp_path, settings, session_factory):
    a, b, c = tmp_path / "a.pdf", tmp_path / "b.png", tmp_path / "copy-of-a.pdf"
    a.write_bytes(filegen.pdf(2, "a"))
    b.write_bytes(filegen.png("b"))
    c.write_bytes(a.read_bytes())
    enqueued: list[str] = []
    outcome = ingest_paths(
        settings,
        session_factory,
        ArchiveStore(settings.archive_root),
        [a, b, c],
        BatchMeta(agency_code=" H56 ", note=""),
        enqueue=enqueued.append,
    )
    ids = [f.document_id for f in outcome.files]
    assert ids[0] == ids[2] and ids[0] != ids[1] and [f.duplicate for f in outcome.files] == [False, False, True]
    assert enqueued == ids[:2] and outcome.enqueued
    with session_factory() as session:
        batch = session.get(Batch, outcome.batch_id)
        assert (batch.agency_code, batch.note) == ("H56", None)
        assert session.get(Document, ids[0]).pages_total == 2


def test_a_batch_is_enqueued_longest_document_first(tmp_path, settings, session_factory):
    """Workers take jobs in queue order: large (long) documents first keeps the batch's tail short."""
    short, long_, middle = tmp_path / "short.pdf", tmp_path / "long.pdf", tmp_path / "middle.pdf"
    short.write_bytes(filegen.pdf(1, "short"))
    long_.write_bytes(filegen.pdf(3, "long"))
    middle.write_bytes(filegen.pdf(2, "middle"))
    enqueued: list[str] = []
    outcome = ingest_paths(
        settings,
        session_factory,
        ArchiveStore(settings.archive_root),
        [short, long_, middle],
        BatchMeta(),
        enqueue=enqueued.append,
    )
    by_name = {f.filename: f.document_id for f in outcome.files}
    assert [f.filename for f in outcome.files] == ["short.pdf", "long.pdf", "middle.pdf"]  # batch order kept
    assert enqueued == [by_name["long.pdf"], by_name["middle.pdf"], by_name["short.pdf"]]


def test_the_spooled_upload_becomes_the_original_without_a_copy(tmp_path, settings, session_factory, monkeypatch):
    """Spool and archive share a filesystem by default: the bytes are written once, while
    uploading, and the first OCR job does not wait for a second write."""

    def no_copy(*_args):
        raise AssertionError("the original was copied")

    monkeypatch.setattr(ArchiveStore, "_write_atomic", staticmethod(no_copy))
    path = tmp_path / "scan.tif"
    path.write_bytes(filegen.tiff(2))
    outcome = ingest_paths(
        settings, session_factory, ArchiveStore(settings.archive_root), [path], BatchMeta(), enqueue=lambda _d: None
    )
    with session_factory() as session:
        original = settings.archive_root / session.get(Document, outcome.files[0].document_id).original_path
    assert original.read_bytes() == path.read_bytes() and stat.S_IMODE(original.stat().st_mode) == 0o600
    assert list(upload_tmp_dir(settings).iterdir()) == []


def test_a_failing_queue_leaves_documents_queued_for_the_reconciler(tmp_path, settings, session_factory):
    path = tmp_path / "a.png"
    path.write_bytes(filegen.png("queue down"))

    def down(_doc_id):
        raise ConnectionError("redis is down")

    outcome = ingest_paths(
        settings, session_factory, ArchiveStore(settings.archive_root), [path], BatchMeta(), enqueue=down
    )
    assert outcome.enqueued is False and outcome.files[0].status == "queued"
    with session_factory() as session:
        assert session.get(Document, outcome.files[0].document_id).status == "queued"


def test_over_long_codes_are_refused_before_anything_is_stored(tmp_path, settings, session_factory):
    path = tmp_path / "a.png"
    path.write_bytes(filegen.png("x"))
    with pytest.raises(BadRequest) as info:
        ingest_paths(
            settings,
            session_factory,
            ArchiveStore(settings.archive_root),
            [path],
            BatchMeta(procedure_code="1" * 65),
            enqueue=lambda *_: None,
        )
    assert info.value.code == "invalid_field"
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Batch)) == 0
    assert list((settings.var_dir / "tmp" / "uploads").iterdir()) == []


def test_concurrent_uploads_of_the_same_bytes_make_one_document(tmp_path, settings, session_factory):
    path = tmp_path / "same.tif"
    path.write_bytes(filegen.tiff(2, "same"))
    enqueued: list[str] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            ingest_paths(
                settings,
                session_factory,
                ArchiveStore(settings.archive_root),
                [path],
                BatchMeta(),
                enqueue=enqueued.append,
            )
        except BaseException as exc:  # noqa: BLE001 - any failure of a thread is reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 1
        items = list(session.scalars(select(BatchItem)))
    assert len(items) == 4 and sum(not item.duplicate for item in items) == 1
    assert len(enqueued) == 1 and len({item.document_id for item in items}) == 1
