"""Resumable uploads over real HTTP: cut lines, a killed API, checksums, completion retried,
abandoned uploads, the quota, duplicates. Each test counts documents and batch items in the
database: a file must end as exactly one of each, whatever broke on the way."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from ingest.resumable import expire_uploads, part_path
from ingest.resumable_finish import finish_upload
from sohoa.core.clock import utcnow
from sohoa.core.db import session_scope
from sohoa.core.models import AuditEvent, BatchItem, Document, Upload
from sohoa.domain.keys import create_key
from sohoa.storage.archive import sha256_file
from tests import filegen
from tests.integration.upload_support import (
    TUS,
    UPLOADS,
    LiveServer,
    ServerProcess,
    create,
    offset_of,
    patch,
    upload_all,
)
from tests.lineproxy import LineProxy
from workers.jobs.reconciler import reconcile_once

CHUNK = 64 * 1024
SCAN = filegen.tiff(pages=8, compression=None)  # 300 KB: five chunks


@pytest.fixture
def live(settings) -> Iterator[LiveServer]:
    with LiveServer(settings) as server:
        yield server


def client_for(url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def counts(session_factory) -> tuple[int, int]:
    with session_factory() as session:
        return (session.scalar(select(func.count()).select_from(Document)),
                session.scalar(select(func.count()).select_from(BatchItem)))


def result(client: httpx.Client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_cut_mid_chunk_resumes_from_the_stored_offset_and_ends_as_one_document(live, keys, settings,
                                                                                session_factory):
    with LineProxy(live.port, cut_at=[int(len(SCAN) * 0.45)]) as line, client_for(line.url, keys.clerk) as client:
        created = create(client, len(SCAN), filename="hồ sơ.tif", agency_code="UBND-X")
        assert created.status_code == 201 and created.headers["tus-resumable"] == "1.0.0"
        url = created.headers["location"]
        assert upload_all(client, url, SCAN, CHUNK) == 1 and line.cuts == 1
        done = result(client, url)
    assert done["state"] == "done" and done["offset"] == len(SCAN)
    assert done["document"]["duplicate"] is False and done["document"]["mime_type"] == "image/tiff"
    assert done["document"]["pages_total"] == 8 and done["document"]["filename"] == "hồ sơ.tif"
    assert counts(session_factory) == (1, 1)
    with session_factory() as session:
        document = session.get(Document, done["document"]["id"])
        assert document.agency_code == "UBND-X" and document.first_batch_id == done["batch_id"]
        original = settings.archive_root / document.original_path
    assert sha256_file(original) == done["document"]["sha256"]
    assert original.read_bytes() == SCAN
    assert not part_path(settings, done["id"]).exists()


def test_the_interrupted_chunk_is_dropped_whole_when_it_carried_a_checksum(live, keys, settings):
    with LineProxy(live.port, cut_at=[CHUNK + CHUNK // 2 + 400]) as line, \
            client_for(line.url, keys.clerk) as client:
        url = create(client, len(SCAN), filename="a.tif").headers["location"]
        assert patch(client, url, 0, SCAN[:CHUNK]).status_code == 204
        with pytest.raises(httpx.TransportError):
            patch(client, url, CHUNK, SCAN[CHUNK:2 * CHUNK])
        time.sleep(0.3)  # the server notices the broken request
        assert offset_of(client, url) == CHUNK
        # without a checksum, what arrived before a cut is kept (tus core), never more than was stored
        line.rate = 1_000_000  # the server reads the chunk as it trickles in (uvicorn drops what it buffered)
        line.cut_at.append(line.up_bytes + 120_000)
        with pytest.raises(httpx.TransportError):
            patch(client, url, CHUNK, SCAN[CHUNK:3 * CHUNK], algorithm=None)
        time.sleep(0.3)
        kept = offset_of(client, url)
        assert CHUNK < kept < 3 * CHUNK
        assert part_path(settings, url.rsplit("/", 1)[1]).read_bytes() == SCAN[:kept]


def test_an_api_killed_mid_chunk_resumes_after_restart(settings, keys, tmp_path, session_factory):
    server = ServerProcess(settings, tmp_path)
    server.start()
    try:
        with client_for(server.url, keys.clerk) as client:
            url = create(client, len(SCAN), filename="restart.tif").headers["location"]
            for offset in (0, CHUNK):
                assert patch(client, url, offset, SCAN[offset:offset + CHUNK]).status_code == 204
        with _half_a_chunk_sent(server.port, url, keys.clerk, 2 * CHUNK):
            server.kill()  # while the request is still open: the server dies mid-chunk
        server.start()
        with client_for(server.url, keys.clerk) as client:
            assert offset_of(client, url) == 2 * CHUNK  # the acknowledged offset, not the half chunk
            upload_all(client, url, SCAN, CHUNK)
            done = result(client, url)
    finally:
        server.kill()
    assert done["state"] == "done" and done["document"]["size_bytes"] == len(SCAN)
    assert counts(session_factory) == (1, 1)


@contextmanager
def _half_a_chunk_sent(port: int, url: str, key: str, offset: int) -> Iterator[None]:
    """Half of a chunk's bytes sent and the connection left open: closed before the server
    is killed, the cut would be seen by a server still alive, which keeps what arrived
    (tus core, no checksum), and whether it is seen first would be a race (with several
    API processes, the process writing the chunk outlives its killed parent by a moment)."""
    body = SCAN[offset:offset + CHUNK]
    head = (f"PATCH {url} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\nTus-Resumable: 1.0.0\r\n"
            f"Upload-Offset: {offset}\r\nContent-Type: application/offset+octet-stream\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(head + body[: len(body) // 2])
        time.sleep(0.5)  # the server has written those bytes before it dies
        yield


def test_a_bad_checksum_is_460_and_nothing_is_appended(live, keys, settings):
    with client_for(live.url, keys.clerk) as client:
        url = create(client, len(SCAN), filename="a.tif").headers["location"]
        path = part_path(settings, url.rsplit("/", 1)[1])
        bad = patch(client, url, 0, SCAN[:CHUNK], headers={"Upload-Checksum": "sha1 " + "A" * 27 + "="})
        assert bad.status_code == 460 and bad.json()["error"]["code"] == "checksum_mismatch"
        assert offset_of(client, url) == 0 and path.stat().st_size == 0
        unknown = patch(client, url, 0, SCAN[:CHUNK], headers={"Upload-Checksum": "md5 AAAA"})
        assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "unsupported_checksum_algorithm"
        assert patch(client, url, 0, SCAN[:CHUNK], algorithm="sha1").status_code == 204
        wrong_offset = patch(client, url, 0, SCAN[:CHUNK])
        assert wrong_offset.status_code == 409 and wrong_offset.json()["error"]["detail"] == {"offset": CHUNK}
        too_long = patch(client, url, CHUNK, SCAN[CHUNK:] + b"extra")
        assert too_long.status_code == 413 and too_long.json()["error"]["code"] == "upload_length_exceeded"
        assert offset_of(client, url) == CHUNK and path.stat().st_size == CHUNK


def test_a_lost_answer_to_the_last_chunk_and_retries_still_make_one_document(live, keys, settings, services,
                                                                            session_factory):
    with LineProxy(live.port) as line, client_for(line.url, keys.clerk) as client:
        url = create(client, len(SCAN), filename="last.tif").headers["location"]
        upload_id = url.rsplit("/", 1)[1]
        last = len(SCAN) - 1000
        assert patch(client, url, 0, SCAN[:last]).status_code == 204
        line.lose_next_answer = True
        with pytest.raises(httpx.TransportError):
            patch(client, url, last, SCAN[last:])
        assert offset_of(client, url) == len(SCAN)
        again = patch(client, url, last, SCAN[last:])  # a client that did not ask first
        assert again.status_code == 409 and again.json()["error"]["code"] == "offset_mismatch"
        assert patch(client, url, len(SCAN), b"").status_code == 409
        first, second = result(client, url), result(client, url)
    assert first == second and first["state"] == "done"
    assert finish_upload(settings, session_factory, services.archive, upload_id) is False
    assert counts(session_factory) == (1, 1)
    with session_factory() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "batch.create")).all()
    assert [(e.target_id, e.detail["upload_id"]) for e in events] == [(first["batch_id"], upload_id)]


def test_a_newer_request_takes_over_from_a_connection_the_server_still_holds(live, keys):
    with LineProxy(live.port, cut_at=[CHUNK], keep_server_side=True) as line, \
            client_for(line.url, keys.clerk) as client:
        url = create(client, len(SCAN), filename="a.tif").headers["location"]
        with pytest.raises(httpx.TransportError):
            patch(client, url, 0, SCAN[:2 * CHUNK])
        began = time.monotonic()
        assert patch(client, url, 0, SCAN[:CHUNK]).status_code == 204  # no 423 while the dead one lingers
        assert time.monotonic() - began < 5
        assert offset_of(client, url) == CHUNK


def test_an_abandoned_upload_is_removed_and_frees_the_quota(live, keys, settings, services, session_factory):
    settings.upload_quota_mb = 1
    with client_for(live.url, keys.clerk) as client:
        url = create(client, len(SCAN) * 3, filename="big.tif").headers["location"]
        assert patch(client, url, 0, SCAN[:CHUNK]).status_code == 204
        refused = create(client, len(SCAN), filename="b.tif")
        assert refused.status_code == 413 and refused.json()["error"]["code"] == "upload_quota_exceeded"
        upload_id = url.rsplit("/", 1)[1]
        assert expire_uploads(settings, session_factory)["uploads_expired"] == 0  # still fresh
        with session_factory() as session:
            session.execute(update(Upload).where(Upload.id == upload_id)
                            .values(expires_at=utcnow() - timedelta(minutes=1)))
            session.commit()
        assert reconcile_once(services)["uploads_expired"] == 1
        assert not part_path(settings, upload_id).exists()
        gone = client.head(url, headers=TUS)
        assert gone.status_code == 410
        assert create(client, len(SCAN), filename="b.tif").status_code == 201
    later = utcnow() + timedelta(hours=settings.upload_expiry_hours + 1)
    assert expire_uploads(settings, session_factory, now=later)["uploads_forgotten"] >= 1


def test_the_quota_counts_unfinished_uploads_per_caller(live, keys, settings, session_factory):
    settings.upload_quota_mb = 1
    clerk, admin = client_for(live.url, keys.clerk), client_for(live.url, keys.admin)
    with clerk, admin:
        first = create(clerk, 700_000, filename="a.tif")
        assert first.status_code == 201
        second = create(clerk, 400_000, filename="b.tif")
        assert second.status_code == 413
        assert second.json()["error"]["detail"]["quota_bytes"] == 1024 * 1024
        assert create(admin, 400_000, filename="b.tif").status_code == 201  # another caller's own quota
        assert clerk.delete(first.headers["location"], headers=TUS).status_code == 204
        assert clerk.delete(first.headers["location"], headers=TUS).status_code == 204  # again: still gone
        assert create(clerk, 400_000, filename="b.tif").status_code == 201
        too_big = create(clerk, settings.max_file_bytes + 1, filename="huge.tif")
        assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "file_too_large"
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Upload)) == 3


def test_duplicate_bytes_at_completion_link_to_the_existing_document(live, keys, session_factory):
    with client_for(live.url, keys.clerk) as client:
        first = client.post("/api/v1/batches", files=[("files", ("first.tif", SCAN))]).json()
        url = create(client, len(SCAN), filename="again.tif").headers["location"]
        upload_all(client, url, SCAN, 128 * 1024)
        done = result(client, url)
    assert done["document"]["duplicate"] is True
    assert done["document"]["id"] == first["documents"][0]["id"]
    assert counts(session_factory) == (1, 2)


def test_a_bad_file_joins_its_batch_rejected_like_a_multipart_one(live, keys, session_factory):
    with client_for(live.url, keys.clerk) as client:
        url = create(client, 20, filename="notes.txt").headers["location"]
        assert patch(client, url, 0, b"not a scan at all!!!").status_code == 204
        done = result(client, url)
        batch = client.get(f"/api/v1/batches/{done['batch_id']}").json()
    assert done["state"] == "done" and done["document"]["error"]["code"] == "unsupported_type"
    assert batch["documents"][0]["error"]["code"] == "unsupported_type"
    assert counts(session_factory) == (0, 1)


def test_a_whole_file_sha256_that_does_not_match_fails_the_upload(live, keys, settings, session_factory):
    with client_for(live.url, keys.clerk) as client:
        url = create(client, len(SCAN), filename="a.tif", sha256="0" * 64).headers["location"]
        upload_all(client, url, SCAN, 256 * 1024)
        done = result(client, url)
    assert done["state"] == "failed" and done["error"]["code"] == "checksum_mismatch"
    assert counts(session_factory) == (0, 0)
    assert not part_path(settings, done["id"]).exists()


def test_files_join_the_batch_the_first_one_created(live, keys, session_factory):
    png = filegen.png("second")
    with client_for(live.url, keys.clerk) as client:
        url = create(client, len(SCAN), filename="a.tif", agency_code="UBND-A", procedure_code="HKD",
                     note="đợt 1").headers["location"]
        upload_all(client, url, SCAN, 512 * 1024)
        batch_id = result(client, url)["batch_id"]
        joined = create(client, len(png), filename="b.png", batch_id=batch_id).headers["location"]
        upload_all(client, joined, png, CHUNK)
        assert result(client, joined)["batch_id"] == batch_id
        batch = client.get(f"/api/v1/batches/{batch_id}").json()
    assert [d["filename"] for d in batch["documents"]] == ["a.tif", "b.png"]
    assert (batch["agency_code"], batch["procedure_code"], batch["note"]) == ("UBND-A", "HKD", "đợt 1")


def test_same_named_files_of_equal_size_in_one_batch_are_two_documents(live, keys, session_factory):
    """Two ``scan-0001.tif`` of two subfolders of a scanned folder, of the same size (the web
    app sends only the name, not the folder), into the batch the web app opened: both uploads
    are created while neither is done, as the web app sends two at a time, and each ends as
    its own document of the batch; the server tells files apart by their bytes, never by
    their name."""
    twin = filegen.tiff(pages=8, text="other", compression=None)
    assert len(twin) == len(SCAN) and twin != SCAN
    with client_for(live.url, keys.clerk) as client:
        batch_id = client.post("/api/v1/batches/open", json={"client_key": "hai-ban-scan-0001"}).json()["batch_id"]
        first, second = (create(client, len(data), filename="scan-0001.tif", batch_id=batch_id).headers["location"]
                         for data in (SCAN, twin))
        assert second != first
        assert patch(client, first, 0, SCAN[:CHUNK]).status_code == 204
        upload_all(client, second, twin, CHUNK)
        upload_all(client, first, SCAN, CHUNK)
        documents = [result(client, url)["document"] for url in (first, second)]
        batch = client.get(f"/api/v1/batches/{batch_id}").json()
    assert documents[0]["id"] != documents[1]["id"] and not any(d["duplicate"] for d in documents), documents
    assert [d["filename"] for d in batch["documents"]] == ["scan-0001.tif"] * 2, batch
    assert {d["id"] for d in batch["documents"]} == {d["id"] for d in documents}
    assert counts(session_factory) == (2, 2)


def test_an_upload_completed_but_not_registered_is_finished_by_the_reconciler(live, keys, settings, services,
                                                                             session_factory, monkeypatch):
    from api.routes import uploads as route

    async def crash(*_args: object) -> None:  # the API stops between the last fsync and registering
        return None

    monkeypatch.setattr(route, "_finish", crash)
    with client_for(live.url, keys.clerk) as client:
        url = create(client, len(SCAN), filename="a.tif").headers["location"]
        upload_all(client, url, SCAN, 512 * 1024)
    assert counts(session_factory) == (0, 0)
    assert reconcile_once(services)["uploads_finished"] == 0  # left to the request for a minute
    with session_factory() as session:
        session.execute(update(Upload).values(updated_at=utcnow() - timedelta(minutes=2)))
        session.commit()
    assert reconcile_once(services)["uploads_finished"] == 1
    assert reconcile_once(services)["uploads_finished"] == 0
    assert counts(session_factory) == (1, 1)


def test_uploads_are_private_to_their_caller(live, keys, session_factory):
    with client_for(live.url, keys.clerk) as clerk, client_for(live.url, keys.admin) as admin, \
            client_for(live.url, keys.officer) as officer:
        url = create(clerk, len(SCAN), filename="a.tif").headers["location"]
        with session_scope(session_factory) as session:
            other = create_key(session, role="clerk", name="other clerk")[1]
        with client_for(live.url, other) as stranger:
            assert stranger.head(url, headers=TUS).status_code == 404
            assert patch(stranger, url, 0, SCAN[:CHUNK]).status_code == 404
        assert admin.head(url, headers=TUS).status_code == 200
        assert officer.head(url, headers=TUS).status_code == 403
        assert create(officer, 10, filename="x.png").status_code == 403


def test_discovery_names_the_extensions_and_limits(live, settings):
    response = httpx.options(f"{live.url}{UPLOADS}")
    assert response.status_code == 204
    assert response.headers["tus-version"] == "1.0.0"
    assert set(response.headers["tus-extension"].split(",")) == {"creation", "expiration", "checksum", "termination"}
    assert response.headers["tus-checksum-algorithm"] == "sha1,sha256"
    assert int(response.headers["tus-max-size"]) == settings.max_file_bytes
