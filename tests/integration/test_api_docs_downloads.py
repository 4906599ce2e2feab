"""Downloads carry the client's Vietnamese file name; /docs and /redoc need no internet;
OpenAPI documents the one error shape on every operation."""

from __future__ import annotations

import re
from urllib.parse import unquote

from sohoa.core.db import session_scope
from sohoa.core.models import StoredFile
from sohoa.storage.archive import ArchiveStore
from tests import filegen

NAME = "Giấy khai sinh Đặng Thị Ánh.png"


def _filename_star(header: str) -> str:
    match = re.search(r"filename\*=UTF-8''([^;]+)", header)
    assert match, header
    return unquote(match.group(1))


def test_downloads_carry_the_clients_vietnamese_name(api, keys, settings, session_factory):
    response = api.post("/api/v1/batches", files=[("files", (NAME, filegen.png("ks")))], headers=keys.auth("clerk"))
    doc = response.json()["documents"][0]["id"]
    pdf = ArchiveStore(settings.archive_root).put_derived(doc, "searchable.pdf", b"%PDF-1.4\n%%EOF\n")
    with session_scope(session_factory) as session:
        session.add(StoredFile(document_id=doc, kind="searchable_pdf", path=pdf.path, sha256=pdf.sha256,
                               size_bytes=pdf.size_bytes))
    officer = keys.auth("officer")
    original = api.get(f"/api/v1/documents/{doc}/original", headers=officer).headers["content-disposition"]
    assert original.startswith('attachment; filename="Giay khai sinh Dang Thi Anh.png"; ')
    assert _filename_star(original) == NAME
    searchable = api.get(f"/api/v1/documents/{doc}/searchable.pdf", headers=officer).headers["content-disposition"]
    assert _filename_star(searchable) == "Giấy khai sinh Đặng Thị Ánh.pdf"
    assert 'filename="Giay khai sinh Dang Thi Anh.pdf"' in searchable


def test_a_deceptive_name_is_cleaned_in_the_header(api, keys):
    response = api.post("/api/v1/batches", files=[("files", ("\u202egnp.exe\u200b.png", filegen.png("x")))],
                        headers=keys.auth("clerk"))
    doc = response.json()["documents"][0]["id"]
    header = api.get(f"/api/v1/documents/{doc}/original", headers=keys.auth("officer")).headers["content-disposition"]
    assert _filename_star(header) == "gnp.exe.png" and "%E2%80%AE" not in header


def test_docs_and_redoc_are_served_without_any_outside_url(api):
    for page in ("/docs", "/redoc"):
        response = api.get(page)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
        assert "http://" not in response.text and "https://" not in response.text and "//cdn" not in response.text
        assets = re.findall(r'(?:src|href)="([^"]+)"', response.text) + re.findall(r"url: '([^']+)'", response.text)
        assert assets
        for asset in assets:
            assert asset.startswith("/"), asset
            assert api.get(asset).status_code == 200, asset
    assert b"SwaggerUIBundle" in api.get("/static-offline-docs/swagger-ui-bundle.js").content
    assert len(api.get("/static-offline-docs/redoc.standalone.js").content) > 100_000


def test_every_operation_documents_the_one_error_shape(api):
    schema = api.get("/openapi.json").json()
    error = schema["components"]["schemas"]["ErrorResponse"]
    assert error["required"] == ["error"]
    info = schema["components"]["schemas"]["ErrorInfo"]
    assert set(info["properties"]) == {"code", "message", "detail"}
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    operations = [(m, p, op) for p, ops in schema["paths"].items() for m, op in ops.items()]
    assert len(operations) > 20
    for method, path, op in operations:
        responses = op["responses"]
        errors = {s for s in responses if s[0] in "45"}
        assert {"422", "500"} <= errors, (method, path)
        if op.get("security"):
            assert {"401", "403"} <= errors, (method, path)
        if "{" in path:
            assert "404" in errors, (method, path)
        for status in errors:
            if (path, status) == ("/healthz", "503"):
                continue  # health answers with its own body
            ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/ErrorResponse", (method, path, status)
