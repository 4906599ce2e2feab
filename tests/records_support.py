"""Generated page texts and a way to store them as a processed document, for record tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from sohoa.core.db import session_scope
from sohoa.core.models import Batch, Document, Page, new_id
from sohoa.core.vocab import DocumentStatus, PageStatus
from sohoa.domain.records import refresh_from_document
from tests import filegen

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
CHILD_ID, MOTHER_ID, FATHER_ID = "049223571884", "049185000123", "049056627283"
BIRTH = (
    "ỦY BAN NHÂN DÂN\nXÃ CÀ DY\n" + MOTTO + "Cà Dy, ngày 14 tháng 03 năm 2023\n"
    "TRÍCH LỤC KHAI SINH\nSố: 195/2023\n"
    "Họ, chữ đệm, tên: VÕ MINH LỘC\nNgày, tháng, năm sinh: ngày 14 tháng 03 năm 2023\n"
    f"Giới tính: Nam Dân tộc: Kinh Quốc tịch: Việt Nam\nSố định danh cá nhân: {CHILD_ID}\n"
    f"Họ, chữ đệm, tên người mẹ: Y LAN\nSố định danh cá nhân người mẹ: {MOTHER_ID}\n"
    f"Họ, chữ đệm, tên người cha: VŨ XUÂN SƠN\nSố định danh cá nhân người cha: {FATHER_ID}\n"
)
HKD_ID = "002171179082"
HKD = (
    "UBND HUYỆN BẮC MÊ\nPHÒNG TÀI CHÍNH - KẾ HOẠCH\n" + MOTTO + "Bắc Mê, ngày 10 tháng 05 năm 2024\n"
    "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH\nSố: 40G8298290\n"
    "1. Tên hộ kinh doanh: Cơ sở dịch vụ Tuấn\n"
    "5. Họ và tên đại diện hộ kinh doanh: ĐỖ THỊ THU TUẤN\n"
    f"Giới tính: Nữ Sinh ngày: 10/02/1971 Dân tộc: Kinh\nSố định danh cá nhân: {HKD_ID}\n"
)
PERMIT_ID = "049200322596"
PERMIT = (
    "UBND HUYỆN BẮC TRÀ MY\nSố: 389/GPXD\n" + MOTTO + "Bắc Trà My, ngày 12 tháng 03 năm 2023\n"
    "GIẤY PHÉP XÂY DỰNG\n"
    f"Cấp cho: Ông/Bà Đỗ Quang Khánh, số định danh cá nhân {PERMIT_ID}\n"
    "Giấy phép có hiệu lực trong thời hạn 12 tháng kể từ ngày cấp.\n"
)


def add_document(session: Session, pages: list[str], *, procedure_code: str | None = None) -> str:
    """A processed document whose pages hold ``pages`` (no file in the archive)."""
    batch = Batch(procedure_code=procedure_code)
    session.add(batch)
    session.flush()
    doc_id = new_id()
    session.add(Document(id=doc_id, sha256=new_id() + new_id(), size_bytes=1, mime_type="image/png",
                         filename=f"{doc_id}.png", original_path=f"originals/{doc_id}", first_batch_id=batch.id,
                         procedure_code=procedure_code, status=DocumentStatus.INDEXED, pages_total=len(pages),
                         pages_done=len(pages)))
    session.flush()
    session.add_all(Page(document_id=doc_id, number=n, status=PageStatus.DONE, text=t, source="ocr")
                    for n, t in enumerate(pages, 1))
    session.flush()
    return doc_id


def uploaded_permit(api: Any, keys: Any, session_factory: sessionmaker[Session]) -> tuple[str, str]:
    """A building permit (``PERMIT``, valid 2023-03-12 … 2024-03-12 for ``PERMIT_ID``) uploaded
    by a clerk through the API and read as OCR text: (document id, record id)."""
    response = api.post("/api/v1/batches", files=[("files", ("gp.png", filegen.png("gpxd")))],
                        headers=keys.auth("clerk"))
    doc = response.json()["documents"][0]["id"]
    with session_scope(session_factory) as session:
        session.add(Page(document_id=doc, number=1, status="done", source="ocr", text=PERMIT))
        session.flush()
        return doc, refresh_from_document(session, doc)[0].id
