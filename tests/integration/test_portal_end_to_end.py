"""The reason the archive exists, end to end: a clerk uploads a scanned result, a worker
OCRs it with real Tesseract and extracts its fields, and another portal then finds it by the
citizen's ID as valid today, with the read written to the audit log exactly once."""

from __future__ import annotations

from rq import Queue, SimpleWorker

from tests.integration import workers_support as ws

CCCD = "001085012345"  # Hà Nội, male, born 1985
PURPOSE = "000.00.14.H56-251120-0007"
CERTIFICATE = [
    "UBND HUYỆN BẮC MÊ",
    "PHÒNG TÀI CHÍNH - KẾ HOẠCH",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Bắc Mê, ngày 12 tháng 03 năm 2025",
    "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH",
    "Số: 40G8001234",
    "Họ và tên đại diện hộ kinh doanh: NGUYỄN VĂN BÌNH",
    "Giới tính: Nam Sinh ngày: 02/03/1985",
    f"Số định danh cá nhân: {CCCD}",
]


def test_portal_finds_an_uploaded_result_by_citizen_id(api, keys, worker_settings, redis_conn):
    created = api.post("/api/v1/batches", files=[("files", ("hkd.png", ws.png_bytes(CERTIFICATE)))],
                       headers=keys.auth("clerk")).json()
    document_id = created["documents"][0]["id"]
    SimpleWorker([Queue(worker_settings.queue_name, connection=redis_conn)], connection=redis_conn).work(burst=True)

    portal = {**keys.auth("portal"), "X-Purpose": PURPOSE}
    found = api.get("/api/v1/records", params={"owner_id": "001 085 012 345"}, headers=portal)
    assert found.status_code == 200, found.text
    records = found.json()["records"]
    assert [r["document_id"] for r in records] == [document_id]
    record = records[0]
    assert record["owner_id"] == CCCD and record["doc_type"] == "gcn_hkd"
    assert record["issue_date"] == "2025-03-12" and record["permanent"] is True

    before_issue = api.get("/api/v1/records", params={"owner_id": CCCD, "valid_on": "2025-03-11"}, headers=portal)
    assert before_issue.json()["records"] == []

    audit = api.get("/api/v1/audit", params={"owner_id": CCCD}, headers=keys.auth("admin")).json()
    lookups = [e for e in audit["events"] if e["role"] == "portal"]
    assert len(lookups) == 2 and {e["purpose"] for e in lookups} == {PURPOSE}

    hits = api.get("/api/v1/search", params={"q": "nguyen van binh", "owner_id": CCCD},
                   headers=keys.auth("officer")).json()
    assert [h["document_id"] for h in hits["hits"]] == [document_id]
