"""The holes of issue 14 on the API side (findings 6, 7 and 11), each pinned on the real
app, real database (SQLite and PostgreSQL) and, for the full disk, a real tmpfs."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api import create_app
from api.access_log import ACCESS_LOGGER, mask_target
from sohoa.core.clock import utcnow
from sohoa.core.models import Batch, BatchItem, Document
from tests import filegen
from tests.integration import fault_support as fs
from tests.integration.test_api_upload import upload
from tests.integration.upload_support import TUS, UPLOADS, metadata

PAST = (utcnow() - timedelta(minutes=1)).isoformat()


def count(session_factory, model) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def admin_key_id(api, keys) -> int:
    return next(k["id"] for k in api.get("/api/v1/keys", headers=keys.auth("admin")).json() if k["role"] == "admin")


# Finding 7: the last admin key cannot be expired away (revoking it was already refused)

def test_the_last_admin_key_cannot_be_patched_into_the_past(api, keys):
    admin, key_id = keys.auth("admin"), admin_key_id(api, keys)
    for when in (PAST, utcnow().isoformat()):
        refused = api.patch(f"/api/v1/keys/{key_id}", headers=admin, json={"expires_at": when})
        assert (refused.status_code, refused.json()["error"]["code"]) == (409, "last_admin_key"), refused.text
    assert api.get("/api/v1/keys", headers=admin).status_code == 200  # still works
    later = (utcnow() + timedelta(days=30)).isoformat()
    assert api.patch(f"/api/v1/keys/{key_id}", headers=admin, json={"expires_at": later}).status_code == 200


def test_with_another_admin_key_one_may_expire_itself(api, keys):
    admin, key_id = keys.auth("admin"), admin_key_id(api, keys)
    other = api.post("/api/v1/keys", headers=admin, json={"role": "admin", "name": "second"}).json()
    response = api.patch(f"/api/v1/keys/{key_id}", headers=admin, json={"expires_at": PAST})
    assert response.status_code == 200 and response.json()["active"] is False
    assert api.get("/api/v1/keys", headers=admin).json()["error"]["code"] == "expired_api_key"
    second = {"Authorization": f"Bearer {other['secret']}"}
    refused = api.delete(f"/api/v1/keys/{other['key']['id']}", headers=second)  # now the last one
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "last_admin_key"
    assert api.delete(f"/api/v1/keys/{key_id}", headers=second).status_code == 200  # an expired one: fine


# Finding 6: an upload onto a full archive

def spool_files(settings) -> list:
    spool = settings.var_dir / "tmp" / "uploads"
    return sorted(spool.iterdir()) if spool.exists() else []


def app_on(settings) -> TestClient:
    return TestClient(create_app(settings), raise_server_exceptions=False)


def test_an_upload_onto_a_nearly_full_archive_is_503_disk_full_and_stores_nothing(keys, settings,
                                                                                  session_factory, tmp_path):
    with fs.small_tmpfs(tmp_path / "disk") as disk, app_on(settings.model_copy(
            update={"archive_dir": disk, "min_free_disk_mb": 4})) as api:
        filler = fs.fill(disk, leave_bytes=1024 * 1024)  # 1 MB free, below SOHOA_MIN_FREE_DISK_MB
        response = upload(api, keys, [("a.png", filegen.png())])
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "disk_full" and response.headers["Retry-After"]
        assert str(disk) not in response.text
        tus = api.post(UPLOADS, headers={**keys.auth("clerk"), **TUS, "Upload-Length": "10",
                                         "Upload-Metadata": metadata(filename="a.png")})
        assert (tus.status_code, tus.json()["error"]["code"]) == (503, "disk_full")
        assert count(session_factory, Batch) == count(session_factory, Document) == 0
        assert spool_files(settings) == []
        filler.unlink()
        assert upload(api, keys, [("a.png", filegen.png())]).status_code == 202  # space is back


def test_a_disk_that_fills_while_storing_leaves_no_empty_batch_and_no_half_file(keys, settings,
                                                                               session_factory, tmp_path):
    """The precheck passes (``min_free_disk_mb`` 0 here), the copy into the archive (another
    filesystem than the spool) runs out of space: the batch that got nothing is removed."""
    with fs.small_tmpfs(tmp_path / "disk") as disk, app_on(settings.model_copy(
            update={"archive_dir": disk, "min_free_disk_mb": 0})) as api:
        fs.fill(disk, leave_bytes=64 * 1024)
        big = filegen.tiff(6, compression=None)  # 230 KB: does not fit in 64 KB
        assert len(big) > 3 * 64 * 1024
        response = upload(api, keys, [("big.tif", big), ("small.png", filegen.png())])
        assert response.status_code == 503, response.text
        error = response.json()["error"]
        assert error["code"] == "disk_full" and error["detail"] == {"batch_id": None, "registered": 0}
        assert str(disk) not in response.text and str(tmp_path) not in response.text
        assert count(session_factory, Batch) == count(session_factory, BatchItem) == 0
        assert count(session_factory, Document) == 0
        leftovers = [p for p in disk.rglob("*") if p.is_file() and p.name != "filler.bin"]
        assert leftovers == [] and spool_files(settings) == []


# Finding 11: file names, server paths, the access log

def test_bidi_and_zero_width_characters_never_reach_storage_or_downloads(api, keys, session_factory):
    name = "Ho so\u200b An\u202efdp.exe"
    response = upload(api, keys, [(name, filegen.pdf(1))])
    shown = response.json()["documents"][0]["filename"]
    assert shown == "Ho so Anfdp.exe"
    with session_factory() as session:
        assert session.scalar(select(Document.filename)) == shown
        assert session.scalar(select(BatchItem.filename)) == shown
    doc_id = response.json()["documents"][0]["id"]
    original = api.get(f"/api/v1/documents/{doc_id}/original", headers=keys.auth("officer"))
    disposition = original.headers["Content-Disposition"]
    assert "\u202e" not in disposition and "%E2%80%AE" not in disposition.upper()


def test_error_details_and_healthz_name_no_server_path(api, keys, settings):
    broken = b"II*\x00" + b"\x00" * 100  # sniffed as TIFF, unreadable
    response = upload(api, keys, [("x.tif", broken)])
    error = response.json()["documents"][0]["error"]
    assert error["code"] == "corrupt_file"
    assert str(settings.var_dir) not in response.text and "/tmp/" not in response.text
    health = api.get("/healthz")
    assert set(health.json()["components"]["disk"]["detail"]["free_mb"]) == {"archive", "temp", "uploads"}
    assert str(settings.var_dir) not in health.text


REQUEST = ("127.0.0.1:50000", "GET", "/api/v1/search?q=Nguy%E1%BB%85n+V%C4%83n+An&owner_id=001+085.000111&page=2",
           "1.1", 200)


@pytest.mark.parametrize("log_queries", [False, True])
def test_the_access_log_masks_citizen_ids_and_query_text(settings, caplog, log_queries):
    """What uvicorn writes for each request goes through the filter the app installs."""
    create_app(settings.model_copy(update={"log_queries": log_queries}))
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        logging.getLogger(ACCESS_LOGGER).info('%s - "%s %s HTTP/%s" %d', *REQUEST)
    line = caplog.records[-1].getMessage()
    assert "001085000111" not in line and "085.000111" not in line and "owner_id=0010******11" in line
    assert ("Nguy" in line) is log_queries and "page=2" in line
    assert mask_target("/api/v1/records?owner_id=0123456789-001&purpose=000.00.14.H56-230415-0012") == (
        "/api/v1/records?owner_id=0123********01&purpose=000.00.14.H56-230415-0012")
    assert mask_target("/api/v1/batches/abc") == "/api/v1/batches/abc"


# The spec says what the app does (Schemathesis, `make fuzz`)

def test_a_405_names_every_method_of_the_path(api, keys):
    response = api.put("/api/v1/keys", headers=keys.auth("admin"))
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"
    assert api.put("/api/v1/users/1", headers=keys.auth("admin")).headers["Allow"] == "GET, PATCH"


@pytest.mark.parametrize("url", ["/api/v1/records?valid_on=0", "/api/v1/documents?uploaded_to=0.5",
                                 "/api/v1/audit?to=1700000000"])
def test_a_number_is_no_date_or_instant(api, keys, url):
    response = api.get(url, headers={**keys.auth("admin"), "X-Purpose": "000.00.14.H56-230415-0012"})
    assert response.status_code == 422 and response.json()["error"]["code"] == "validation_error", response.text


def test_an_empty_audit_range_is_no_error(api, keys):
    when = "2026-01-01T00:00:00Z"
    response = api.get("/api/v1/audit", params={"from": when, "to": when}, headers=keys.auth("admin"))
    assert response.status_code == 200 and response.json()["events"] == []


def test_the_spec_documents_what_the_app_answers(api):
    spec = api.get("/openapi.json").json()
    tus = spec["paths"]["/api/v1/uploads"]["post"]
    assert "412" in tus["responses"] and "503" in tus["responses"]
    assert {"name": "Tus-Resumable", "in": "header", "required": True}.items() <= tus["parameters"][0].items()
    records = {p["name"]: p["schema"] for p in spec["paths"]["/api/v1/records"]["get"]["parameters"]}
    assert "anyOf" not in records["purpose"] and records["purpose"]["type"] == "string"  # never "null"
    assert re.match(records["owner_id"]["pattern"], "001 085.000 111")
    assert not re.match(records["owner_id"]["pattern"], "0" * 40)
    assert not re.match(records["doc_type"]["pattern"], "a\x00b") and re.match(records["doc_type"]["pattern"], "QĐ")


def test_a_null_in_a_user_change_is_a_400_not_a_500(api, people):
    """Found by `make fuzz`: ``display_name: null`` met the length check of a string."""
    for change in ({"display_name": None}, {"role": None}, {"disabled": None}):
        response = api.patch(f"/api/v1/users/{people.ids['clerk']}", headers=people.auth("admin"), json=change)
        assert response.status_code == 400, (change, response.text)
