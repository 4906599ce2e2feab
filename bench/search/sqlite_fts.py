"""Index and query timings of the embedded SQLite FTS5 backend on synthetic Vietnamese pages.

Run: ``.venv/bin/python -m bench.search.sqlite_fts --pages 5000``. Not a test: a figure.
Pages are ~1,500 characters drawn from an administrative vocabulary plus a person's name,
so queries hit realistic posting-list sizes.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from search.base import IndexedDocument, IndexedPage, SearchFilters, SearchQuery
from search.sqlite_fts import SqliteSearchBackend

VOCAB = [
    "ủy",
    "ban",
    "nhân",
    "dân",
    "phường",
    "xã",
    "quận",
    "huyện",
    "tỉnh",
    "thành",
    "phố",
    "giấy",
    "khai",
    "sinh",
    "chứng",
    "nhận",
    "đăng",
    "ký",
    "kết",
    "hôn",
    "thường",
    "trú",
    "tạm",
    "trú",
    "hộ",
    "khẩu",
    "quyết",
    "định",
    "số",
    "ngày",
    "tháng",
    "năm",
    "cấp",
    "cho",
    "ông",
    "bà",
    "công",
    "dân",
    "căn",
    "cước",
    "địa",
    "chỉ",
    "nơi",
    "cư",
    "trú",
    "chứng",
    "thực",
    "bản",
    "sao",
    "hồ",
    "sơ",
    "thủ",
    "tục",
    "hành",
    "chính",
    "một",
    "cửa",
    "lệ",
    "phí",
    "người",
    "yêu",
    "cầu",
    "tiếp",
    "nhận",
    "hẹn",
    "trả",
    "kết",
    "quả",
    "xác",
    "nhận",
    "tình",
    "trạng",
    "hôn",
    "nhân",
    "đất",
    "đai",
    "nhà",
    "ở",
]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Đức", "Quang"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Hà", "Hòa", "Khánh", "Lan", "Mai", "Nam", "Phúc", "Thảo", "Tuấn"]


def synthetic(n_docs: int, pages_per_doc: int, rng: random.Random) -> list[IndexedDocument]:
    docs = []
    for d in range(n_docs):
        name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        pages = []
        for p in range(1, pages_per_doc + 1):
            body = " ".join(rng.choice(VOCAB) for _ in range(250))
            pages.append(IndexedPage(p, f"Họ và tên: {name}. Số {d:06d}/QĐ-UBND. {body}"))
        docs.append(IndexedDocument(f"doc-{d:06d}", pages, batch_ids=[f"b-{d % 50}"], agency_code=f"UBND-{d % 7}"))
    return docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--pages-per-doc", type=int, default=2)
    args = parser.parse_args()
    rng = random.Random(7)
    docs = synthetic(args.pages // args.pages_per_doc, args.pages_per_doc, rng)
    with tempfile.TemporaryDirectory() as tmp:
        engine = SqliteSearchBackend(Path(tmp) / "bench.sqlite3")
        start = time.perf_counter()
        engine.index_documents(docs)
        indexed = time.perf_counter() - start
        start = time.perf_counter()
        engine.rebuild(docs)
        rebuilt = time.perf_counter() - start
        size_mb = (Path(tmp) / "bench.sqlite3").stat().st_size / 1e6
        queries = ["nguyen van binh", '"Trần Thị Lan"', "giay khai sinh", "000123/QĐ-UBND", "hòa", "ket hon"]
        print(f"pages={engine.count()} docs={len(docs)} file={size_mb:.1f} MB")
        print(f"index_documents: {indexed:.2f}s = {engine.count() / indexed:.0f} pages/s")
        print(f"rebuild:         {rebuilt:.2f}s = {len(docs) / rebuilt:.0f} docs/s")
        for q in queries:
            for filters in (SearchFilters(), SearchFilters(agency_code="UBND-3")):
                times = []
                for _ in range(5):
                    t0 = time.perf_counter()
                    result = engine.search(SearchQuery(q=q, filters=filters, size=20))
                    times.append(time.perf_counter() - t0)
                label = q + (" +agency" if filters.agency_code else "")
                print(f"query {label!r:32} total={result.total:6d} median={statistics.median(times) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
