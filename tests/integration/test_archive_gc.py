"""``sohoa archive-gc``: unreferenced originals and dead temp files go, nothing referenced
or recent is touched, and an upload racing the deletion keeps its file."""

from __future__ import annotations

import hashlib
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest

from sohoa.core.db import session_scope
from sohoa.core.models import Batch, Document
from sohoa.storage import archive_gc
from sohoa.storage.archive import ArchiveStore
from sohoa.storage.archive_gc import collect_garbage
from tests import filegen
from tests.integration import workers_support as ws

DAY = timedelta(hours=24)


def stored_original(archive: ArchiveStore, data: bytes, *, age_hours: float) -> Path:
    digest = hashlib.sha256(data).hexdigest()
    path = archive.root / archive.original_relpath(digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    aged = time.time() - age_hours * 3600
    os.utime(path, (aged, aged))
    return path


def test_only_old_unreferenced_originals_and_temp_files_go(settings, session_factory) -> None:
    archive = ArchiveStore(settings.archive_root)
    kept = ws.png_bytes(ws.LINES[0])
    ws.add_document(settings, session_factory, kept, "image/png", "kept.png")
    referenced = archive.root / archive.original_relpath(hashlib.sha256(kept).hexdigest())
    os.utime(referenced, (time.time() - 48 * 3600,) * 2)
    orphan = stored_original(archive, filegen.png("orphan"), age_hours=48)
    young = stored_original(archive, filegen.png("young"), age_hours=1)
    temp = orphan.parent / ".tmp-abc"
    temp.write_bytes(b"half a write")
    os.utime(temp, (time.time() - 48 * 3600,) * 2)

    listed = collect_garbage(archive, session_factory, older_than=DAY, delete=False)
    assert listed.originals == [orphan.relative_to(archive.root).as_posix()]
    assert listed.temp_files == [temp.relative_to(archive.root).as_posix()]
    assert listed.bytes == orphan.stat().st_size + temp.stat().st_size
    assert orphan.exists() and temp.exists()  # a dry run deletes nothing

    done = collect_garbage(archive, session_factory, older_than=DAY, delete=True)
    assert (done.originals, done.temp_files) == (listed.originals, listed.temp_files)
    assert not orphan.exists() and not temp.exists()
    assert referenced.exists() and young.exists()


def test_an_upload_arriving_during_the_deletion_keeps_its_original(settings, session_factory,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    archive = ArchiveStore(settings.archive_root)
    data = ws.png_bytes(ws.LINES[1])
    path = stored_original(archive, data, age_hours=48)
    real = archive_gc._referenced
    calls = []

    def racing(sessions, digests):
        calls.append(digests)
        if len(calls) == 2:  # an upload of the same bytes found the file and now commits its row
            with session_scope(session_factory) as session:
                batch = Batch()
                session.add(batch)
                session.flush()
                session.add(Document(sha256=path.name, size_bytes=len(data), mime_type="image/png",
                                     filename="again.png", first_batch_id=batch.id,
                                     original_path=path.relative_to(archive.root).as_posix()))
        return real(sessions, digests)

    monkeypatch.setattr(archive_gc, "_referenced", racing)
    report = collect_garbage(archive, session_factory, older_than=DAY, delete=True)
    assert report.originals == [] and path.exists()
    assert path.read_bytes() == data
    assert not list(path.parent.glob(".gc-*"))


def test_a_file_left_aside_by_a_killed_run_is_put_back_when_referenced(settings, session_factory) -> None:
    archive = ArchiveStore(settings.archive_root)
    data = ws.png_bytes(ws.LINES[2])
    ws.add_document(settings, session_factory, data, "image/png", "a.png")
    path = archive.root / archive.original_relpath(hashlib.sha256(data).hexdigest())
    os.replace(path, path.with_name(f".gc-{path.name}"))
    lost = stored_original(archive, filegen.png("lost"), age_hours=48)
    os.replace(lost, lost.with_name(f".gc-{lost.name}"))
    collect_garbage(archive, session_factory, older_than=DAY, delete=True)
    assert path.exists() and not lost.exists()
    assert not list(archive.root.glob("originals/*/*/.gc-*"))
