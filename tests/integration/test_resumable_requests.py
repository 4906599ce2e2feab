"""What a resumable upload's creation and chunks must carry: each mistake is a 4xx with a
stable code, and nothing is created or stored."""

from __future__ import annotations

import base64
import hashlib

import pytest
from sqlalchemy import func, select

from sohoa.core.db import session_scope
from sohoa.core.models import Upload
from sohoa.domain.keys import create_key
from tests import filegen
from tests.integration.upload_support import TUS, UPLOADS, checksum, metadata

GOOD = {"filename": "a.png"}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(("headers", "status", "code"), [
    ({"Upload-Metadata": metadata(agency_code="X")}, 400, "invalid_metadata"),  # no filename
    ({"Upload-Metadata": "filename !!notbase64"}, 400, "invalid_metadata"),
    ({"Upload-Metadata": f"filename {b64('a.png')},filename {b64('b.png')}"}, 400, "invalid_metadata"),
    ({"Upload-Metadata": metadata(filename="a.png", owner="x")}, 400, "invalid_metadata"),  # unknown key
    ({"Upload-Metadata": metadata(filename="a.png", batch_id="not-an-id")}, 400, "invalid_metadata"),
    ({"Upload-Metadata": metadata(filename="a.png", batch_id="a" * 32, agency_code="X")}, 400, "invalid_metadata"),
    ({"Upload-Metadata": metadata(filename="a.png", sha256="xyz")}, 400, "invalid_metadata"),
    ({"Upload-Metadata": metadata(filename="a.png", agency_code="X" * 65)}, 400, "invalid_metadata"),
    ({"Upload-Metadata": metadata(filename="a.png", batch_id="a" * 32)}, 404, "not_found"),
    ({"Upload-Length": None}, 400, "missing_header"),
    ({"Upload-Length": "-5"}, 400, "invalid_header"),
    ({"Upload-Length": None, "Upload-Defer-Length": "1"}, 400, "length_required"),
    ({"Upload-Length": "0"}, 422, "empty_file"),
    ({"Tus-Resumable": "0.2.2"}, 412, "unsupported_tus_version"),
], ids=lambda v: str(v)[:40])
def test_a_bad_creation_is_refused_with_a_stable_code(api, keys, session_factory, headers, status, code):
    sent = {**TUS, **keys.auth("clerk"), "Upload-Length": "100", "Upload-Metadata": metadata(**GOOD), **headers}
    response = api.post(UPLOADS, headers={k: v for k, v in sent.items() if v is not None})
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert response.headers["tus-resumable"] == "1.0.0"
    if status == 412:
        assert response.headers["tus-version"] == "1.0.0"
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Upload)) == 0


def test_joining_another_clerks_batch_is_forbidden(api, keys, session_factory):
    batch = api.post("/api/v1/batches", files=[("files", ("a.png", b"x"))], headers=keys.auth("clerk")).json()
    with session_scope(session_factory) as session:
        other = create_key(session, role="clerk", name="other")[1]
    response = api.post(UPLOADS, headers={**TUS, "Authorization": f"Bearer {other}", "Upload-Length": "10",
                                          "Upload-Metadata": metadata(filename="b.png", batch_id=batch["batch_id"])})
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    admin = api.post(UPLOADS, headers={**TUS, **keys.auth("admin"), "Upload-Length": "10",
                                       "Upload-Metadata": metadata(filename="b.png", batch_id=batch["batch_id"])})
    assert admin.status_code == 201


def test_a_full_batch_is_refused_before_any_byte_is_sent(api, keys, settings):
    settings.max_files_per_batch = 1
    batch = api.post("/api/v1/batches", files=[("files", ("a.png", b"x"))], headers=keys.auth("clerk")).json()
    response = api.post(UPLOADS, headers={**TUS, **keys.auth("clerk"), "Upload-Length": "10",
                                          "Upload-Metadata": metadata(filename="b.png", batch_id=batch["batch_id"])})
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_many_files"


def test_creating_the_same_unfinished_file_again_returns_the_same_upload(api, keys):
    headers = {**TUS, **keys.auth("clerk"), "Upload-Length": "10",
               "Upload-Metadata": metadata(filename="a.png", sha256="ab" * 32)}
    first, second = api.post(UPLOADS, headers=headers), api.post(UPLOADS, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.headers["location"] == second.headers["location"]
    other = api.post(UPLOADS, headers={**headers, "Upload-Metadata": metadata(filename="a.png", sha256="cd" * 32)})
    assert other.headers["location"] != first.headers["location"]


@pytest.mark.parametrize(("headers", "status", "code"), [
    ({"Content-Type": "application/octet-stream"}, 415, "invalid_content_type"),
    ({"Upload-Offset": None}, 400, "missing_header"),
    ({"Upload-Offset": "5"}, 409, "offset_mismatch"),
    ({"Upload-Checksum": "sha256 short"}, 400, "invalid_checksum"),
    ({"Upload-Checksum": "crc32 AAAA"}, 400, "unsupported_checksum_algorithm"),
], ids=lambda v: str(v)[:40])
def test_a_bad_chunk_is_refused_and_stores_nothing(api, keys, headers, status, code):
    auth = {**TUS, **keys.auth("clerk")}
    url = api.post(UPLOADS, headers={**auth, "Upload-Length": "10", "Upload-Metadata": metadata(**GOOD)}
                   ).headers["location"]
    sent = {**auth, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream", **headers}
    response = api.patch(url, content=b"0123456789", headers={k: v for k, v in sent.items() if v is not None})
    assert response.status_code == status and response.json()["error"]["code"] == code
    assert api.head(url, headers=auth).headers["upload-offset"] == "0"


def test_a_whole_file_chunk_is_checked_by_its_sha256_and_registered_by_it(api, keys):
    """A chunk from byte 0 with a SHA-256 checksum is hashed once, for the checksum and for
    the file's SHA-256: a wrong checksum still stores nothing, the right one is the file's."""
    data = filegen.png("one pass")
    auth = {**TUS, **keys.auth("clerk")}
    url = api.post(UPLOADS, headers={**auth, "Upload-Length": str(len(data)), "Upload-Metadata": metadata(**GOOD)}
                   ).headers["location"]
    chunk = {**auth, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
    wrong = api.patch(url, content=data, headers={**chunk, "Upload-Checksum": checksum(data[::-1])})
    assert wrong.status_code == 460 and wrong.json()["error"]["code"] == "checksum_mismatch"
    assert api.head(url, headers=auth).headers["upload-offset"] == "0"
    assert api.patch(url, content=data, headers={**chunk, "Upload-Checksum": checksum(data)}).status_code == 204
    done = api.get(url, headers=auth).json()
    assert done["state"] == "done" and done["document"]["sha256"] == hashlib.sha256(data).hexdigest()
