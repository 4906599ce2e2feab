"""Bulk reindex rate: ``rebuild()`` of N synthetic documents into OpenSearch and SQLite.

Run: ``.venv/bin/python -m bench.reindex_rate`` (10,000 documents by default). One run
times both backends on the same documents: a real OpenSearch node started here from
``tests/opensearch_node`` (full JIT, 1 GB heap; or an existing cluster with
``--opensearch-url``) and the embedded SQLite FTS5 backend in a temp dir.
Documents are 1–2 pages of administrative wording with names, 12-digit personal IDs,
document numbers and dates; generation is not timed. Not a test: a figure.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from search.base import IndexedDocument, IndexedPage, SearchBackend, SearchQuery

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Giàng"]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Đức", "Quang", "Xuân", "Kim"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Hà", "Hòa", "Khánh", "Lan", "Mai", "Nam", "Phúc", "Thảo", "Tuấn", "Yến"]
PLACES = ["xã Trà Đốc, huyện Bắc Trà My", "phường Bến Nghé, Quận 1", "xã Yên Phú, huyện Bắc Mê",
          "thị trấn Tắc Pỏ", "xã Cà Dy, huyện Nam Giang", "phường Hòa Cường Bắc"]
TITLES = ["GIẤY KHAI SINH", "TRÍCH LỤC KẾT HÔN", "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN",
          "QUYẾT ĐỊNH", "GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH", "GIẤY PHÉP XÂY DỰNG"]
BODY = [
    "Căn cứ Luật Hộ tịch ngày 20 tháng 11 năm 2014;",
    "Xét đề nghị của công chức tư pháp - hộ tịch,",
    "Giấy này có giá trị sử dụng đến ngày {until}.",
    "Nơi cư trú: {place}.",
    "Người yêu cầu đã nộp lệ phí theo quy định và nhận kết quả tại Bộ phận một cửa.",
    "Hồ sơ gồm đơn đề nghị, bản sao căn cước công dân và các giấy tờ liên quan.",
    "Ủy ban nhân dân {place} chứng thực bản sao đúng với bản chính.",
]


def person(rng: random.Random) -> tuple[str, str, date]:
    born = date(rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28))
    century = (born.year // 100 - 19) * 2 + rng.randint(0, 1)
    cccd = f"{rng.randint(1, 96):03d}{century}{born.year % 100:02d}{rng.randint(0, 999_999):06d}"
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}", cccd, born


def make_document(i: int, rng: random.Random) -> IndexedDocument:
    name, cccd, born = person(rng)
    issued = date(2015, 1, 1) + timedelta(days=rng.randint(0, 3650))
    place = rng.choice(PLACES)
    head = (
        f"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n{rng.choice(TITLES)}\n"
        f"Số: {rng.randint(1, 999)}/QĐ-UBND {place}, ngày {issued.day:02d} tháng {issued.month:02d} năm {issued.year}\n"
        f"Họ và tên: {name}  Ngày sinh: {born:%d/%m/%Y}  Số định danh cá nhân: {cccd}\n"
    )
    until = (issued + timedelta(days=180)).strftime("%d/%m/%Y")
    body = " ".join(rng.choice(BODY).format(place=place, until=until) for _ in range(rng.randint(8, 16)))
    pages = [IndexedPage(1, head + body)]
    if rng.random() < 0.5:
        pages.append(IndexedPage(2, " ".join(rng.choice(BODY).format(place=place, until=until) for _ in range(12))))
    return IndexedDocument(
        document_id=f"doc-{i:06d}", pages=pages, batch_ids=[f"batch-{i // 200:04d}"],
        agency_code=f"UBND-{i % 9}", procedure_code=f"1.00{4000 + i % 50}",
        uploaded_at=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=i),
        filename=f"scan-{i:06d}.pdf", owner_ids=[cccd], doc_type="giay_khai_sinh",
        valid_from=issued, valid_until=issued + timedelta(days=180), permanent=False,
    )


def timed_rebuild(label: str, backend: SearchBackend, docs: list[IndexedDocument]) -> float:
    start = time.perf_counter()
    count = backend.rebuild(docs)
    seconds = time.perf_counter() - start
    pages = backend.count()
    probe = backend.search(SearchQuery(q=docs[0].owner_ids[0])).total
    assert count == len(docs) and pages == sum(len(d.pages) for d in docs) and probe >= 1, (count, pages, probe)
    rate = count / seconds
    print(f"{label:<28} {count:>7} docs {pages:>7} pages {seconds:8.2f} s  {rate:9.0f} docs/s")
    return rate


def with_opensearch(url: str | None, run: Callable[[SearchBackend], float]) -> float:
    from bench.opensearch_target import opensearch_backend

    with tempfile.TemporaryDirectory(prefix="bench-os-") as home, opensearch_backend(url, Path(home)) as backend:
        return run(backend)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--opensearch-url", help="an existing cluster instead of a node started here")
    args = parser.parse_args()
    rng = random.Random(2024)
    docs = [make_document(i, rng) for i in range(args.documents)]
    chars = sum(len(p.text) for d in docs for p in d.pages)
    print(f"{len(docs)} documents, {sum(len(d.pages) for d in docs)} pages, {chars / 1e6:.1f} M characters")
    engine = "opensearch " + ("(" + args.opensearch_url + ")" if args.opensearch_url else "(node, 1g heap)")
    with_opensearch(args.opensearch_url, lambda b: timed_rebuild(engine, b, docs))
    from search.sqlite_fts import SqliteSearchBackend

    with tempfile.TemporaryDirectory() as tmp:
        sqlite = SqliteSearchBackend(Path(tmp) / "bench.sqlite3")
        try:
            timed_rebuild("sqlite fts5", sqlite, docs)
        finally:
            sqlite.close()


if __name__ == "__main__":
    main()
