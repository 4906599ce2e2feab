"""Page images and word boxes through the real app: a sideways scan OCR'd by real
Tesseract comes back upright, its word boxes over its words at any width; the cache, ETag
and 304; width clamps; pages that cannot be shown get a code, never a 500."""

from __future__ import annotations

import hashlib
import io
import multiprocessing

import numpy as np
import pytest
from fpdf import FPDF
from PIL import Image
from sqlalchemy import func, select

from sohoa.core.db import session_scope
from sohoa.core.models import AuditEvent, Document, Page, StoredFile
from sohoa.core.vocab import FileKind
from tests import filegen
from tests.unit.test_imaging import text_page
from workers.jobs.document import process_document
from workers.ocr.page_image import PageRenderer

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def upload(api, keys, name: str, data: bytes) -> str:
    response = api.post("/api/v1/batches", files=[("files", (name, data))], headers=keys.auth("clerk"))
    assert response.status_code == 202, response.text
    return response.json()["documents"][0]["id"]


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG", dpi=(300, 300))
    return buf.getvalue()


def decoded(response) -> Image.Image:
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image.convert("L")


def audit_count(session_factory) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent))


@pytest.fixture
def sideways(api, keys, worker_settings) -> str:
    """A page fed turned 90° (top to the left), OCR'd for real: stored as read upright."""
    doc = upload(api, keys, "nghieng.png", png_bytes(text_page().transpose(Image.Transpose.ROTATE_90)))
    process_document(doc)
    return doc


def test_a_sideways_scan_is_shown_upright_with_its_word_boxes_over_its_words(api, keys, sideways, session_factory):
    with session_factory() as session:
        page = session.scalars(select(Page).where(Page.document_id == sideways)).one()
    assert (page.rotation, page.width, page.height) == (90, 1400, 696)  # as the OCR read it
    officer = keys.auth("officer")
    for width in (700, 1400):
        image = api.get(f"/api/v1/documents/{sideways}/pages/1/image", params={"width": width, "format": "png"},
                        headers=officer)
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        pixels = decoded(image)
        assert pixels.size == (width, round(696 * width / 1400))  # upright: wider than tall
        words = api.get(f"/api/v1/documents/{sideways}/pages/1/words", params={"width": width}, headers=officer)
        assert words.status_code == 200
        body = words.json()
        assert (body["image_width"], body["image_height"], body["rotation"]) == (*pixels.size, 90)
        ink = np.asarray(pixels) < 128
        assert ink.mean() < 0.08  # mostly paper: a box full of ink is no accident
        boxes = [w for w in body["words"] if w["conf"] > 80 and len(w["text"]) >= 3]
        assert len(boxes) >= 20
        for w in boxes:
            inside = ink[w["top"]:w["top"] + w["height"], w["left"]:w["left"] + w["width"]]
            assert inside.mean() > 0.05, w
        scale = width / 1400
        names = [w for w in body["words"] if w["text"] == "Nhung"]  # line 3, drawn at y = 60 + 2 * 72
        assert names and abs(names[0]["top"] - 204 * scale) < 20 * scale, names
    native = api.get(f"/api/v1/documents/{sideways}/pages/1/words", params={"width": 1400}, headers=officer).json()
    half = api.get(f"/api/v1/documents/{sideways}/pages/1/words", params={"width": 700}, headers=officer).json()
    assert abs(half["words"][0]["left"] - native["words"][0]["left"] / 2) <= 1  # one uniform scale


def test_width_is_clamped_and_named_sizes_are_fixed(api, keys, sideways):
    officer = keys.auth("officer")

    def size_of(**params) -> tuple[int, int]:
        response = api.get(f"/api/v1/documents/{sideways}/pages/1/image", params=params, headers=officer)
        assert response.status_code == 200, response.text
        return Image.open(io.BytesIO(response.content)).size

    assert size_of(width=5000) == (1400, 696)  # never wider than the page the OCR read
    assert size_of(width=1)[0] == 100  # at least 100
    assert size_of(width=333)[0] == 400  # rounded up to a multiple of 100: few cached sizes
    assert size_of(size="thumb")[0] == 200
    assert size_of()[0] == 1200  # screen
    response = api.get(f"/api/v1/documents/{sideways}/pages/1/image", headers=officer)
    assert response.headers["content-type"] == "image/webp"
    jpeg = api.get(f"/api/v1/documents/{sideways}/pages/1/image", params={"format": "jpeg"}, headers=officer)
    assert jpeg.headers["content-type"] == "image/jpeg" and jpeg.content[:2] == b"\xff\xd8"
    bad = api.get(f"/api/v1/documents/{sideways}/pages/1/image", params={"width": 0}, headers=officer)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"


def test_a_rendered_image_is_cached_with_its_checksum_and_revalidated_by_etag(api, keys, sideways, session_factory):
    officer = keys.auth("officer")
    url = f"/api/v1/documents/{sideways}/pages/1/image?size=thumb"
    before = audit_count(session_factory)
    first = api.get(url, headers=officer)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("private")
    with session_factory() as session:
        stored = session.scalars(select(StoredFile).where(StoredFile.document_id == sideways,
                                                          StoredFile.kind == FileKind.PAGE_IMAGE)).one()
    assert etag == f'"{stored.sha256}"' == f'"{hashlib.sha256(first.content).hexdigest()}"'
    assert stored.size_bytes == len(first.content)
    assert audit_count(session_factory) == before + 1

    class Refuses:
        def render(self, request):
            raise AssertionError("a cached image must not be rendered again")

    api.app.state.page_renderer = Refuses()
    again = api.get(url, headers=officer)
    assert again.status_code == 200 and again.content == first.content and again.headers["etag"] == etag
    not_modified = api.get(url, headers={**officer, "If-None-Match": f'W/"x", {etag}'})
    assert not_modified.status_code == 304 and not_modified.content == b"" and not_modified.headers["etag"] == etag
    assert audit_count(session_factory) == before + 2  # the 304 sent nothing and logged nothing
    with session_factory() as session:
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert (event.action, event.target_id, event.detail) == ("document.page_image", sideways, {"page": 1})


def test_pages_that_cannot_be_shown_get_a_stable_code(api, keys, settings, session_factory):
    officer = keys.auth("officer")
    damaged = upload(api, keys, "hong.tif", filegen.with_junk_page_data(filegen.tiff(3), 2))
    with session_scope(session_factory) as session:
        session.add_all([Page(document_id=damaged, number=1, status="done", source="ocr", text="a"),
                         Page(document_id=damaged, number=2, status="failed", error_code="corrupt_file"),
                         Page(document_id=damaged, number=3, status="pending")])

    def error(url: str, status: int) -> dict:
        response = api.get(url, headers=officer)
        assert response.status_code == status, response.text
        return response.json()["error"]

    base = f"/api/v1/documents/{damaged}/pages"
    assert api.get(f"{base}/1/image", headers=officer).status_code == 200
    unrenderable = error(f"{base}/2/image", 422)
    assert unrenderable["code"] == "page_unrenderable" and unrenderable["detail"]["reason"] == "corrupt_file"
    assert error(f"{base}/3/image", 409)["code"] == "page_not_ready"
    assert error(f"{base}/4/image", 404)["code"] == "page_not_found"
    assert error(f"{base}/3/words", 409)["code"] == "page_not_ready"
    with session_factory() as session:
        original = session.get(Document, damaged).original_path
    (settings.archive_root / original).unlink()
    assert api.get(f"{base}/1/image", headers=officer).status_code == 200  # already cached
    assert error(f"{base}/1/image?size=thumb", 503)["code"] == "archive_unavailable"


def test_a_slow_render_is_stopped_at_the_time_limit(api, keys, session_factory):
    big = Image.effect_noise((4000, 4000), 60)  # noise: slow to scale and to encode
    doc = upload(api, keys, "lon.png", png_bytes(big))
    with session_scope(session_factory) as session:
        session.add(Page(document_id=doc, number=1, status="failed", error_code="page_timeout"))
    api.app.state.page_renderer = PageRenderer(concurrency=1, timeout=0.05)
    response = api.get(f"/api/v1/documents/{doc}/pages/1/image?format=png&width=2400", headers=keys.auth("officer"))
    assert response.status_code == 503 and response.json()["error"]["code"] == "render_timeout"
    assert not any(child.is_alive() for child in multiprocessing.active_children())


def test_a_born_digital_page_renders_from_its_pdf_and_has_no_word_boxes(api, keys, session_factory):
    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", fname=FONT)
    pdf.set_font("dejavu", size=14)
    pdf.add_page()
    pdf.cell(text="Giấy xác nhận tình trạng hôn nhân")
    doc = upload(api, keys, "so.pdf", bytes(pdf.output()))
    with session_scope(session_factory) as session:
        session.add(Page(document_id=doc, number=1, status="done", source="text_layer", text="Giấy xác nhận"))
    officer = keys.auth("officer")
    image = api.get(f"/api/v1/documents/{doc}/pages/1/image", params={"width": 400}, headers=officer)
    assert image.status_code == 200
    assert Image.open(io.BytesIO(image.content)).size == (400, 566)  # A4's aspect
    words = api.get(f"/api/v1/documents/{doc}/pages/1/words", headers=officer).json()
    assert (words["source"], words["words"], words["image_width"]) == ("text_layer", [], None)
