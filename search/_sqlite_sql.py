"""SQL for the SQLite FTS5 backend: versioned tables, range filters, facets.

Every table name carries the index version (``pages_v3``…) so a rebuild can fill a new
set next to the one being searched and swap a pointer in ``search_meta``.

Layout (schema 4): ``docs`` (one row per document, key ``k``: its order of arrival),
``pages`` (row id ``k << 16 | page``, the text compressed once), the contentless FTS5
table of ``_sqlite_tokens`` (same row ids), ``records`` and ``doc_batches``/``record_owners``
for filters without a query. FTS5 row ids in that order make "newest first" the engine's
own descending scan, and a document's pages one row id range.

``records``: one row per run of consecutive pages indexed with one record (a part's, or the
file's own for pages outside every part): names, record filters, who and what. Its row id is
that of the run's first page, so the record of any page is the records row with the greatest
id not above the page's (``record_of``): one seek in a table of about a row per document,
and no per-page column (a join through ``pages`` would read a page of text per candidate).
"""

from __future__ import annotations

import zlib
from datetime import date, datetime
from typing import Any

from search._sqlite_tokens import TOKENIZER
from search.base import IndexedDocument, IndexedRecord, SearchFilters
from sohoa.core.clock import vn_day

META_DDL = "CREATE TABLE IF NOT EXISTS search_meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)"
# 3: a contentless token table, names, compressed text; 4: names and record facets per part.
# Older files are rebuilt (``sqlite_fts``).
SCHEMA = 4
PAGE_BITS = 16  # row id = document key << 16 | page number
MAX_PAGE = (1 << PAGE_BITS) - 1
DOC_COLUMNS = ("k", "document_id", "agency_code", "procedure_code", "uploaded_day", "status", "filename", "tags")
RECORD_COLUMNS = ("id", "record_id", "owner_name", "doc_type", "doc_number", "issue_date", "valid_from",
                  "valid_until", "permanent", "legal_status", "names", "tags")
TABLES = ("fts", "pages", "docs", "records", "doc_batches", "record_owners")
OLD_TABLES = ("doc_owners",)  # of earlier layouts: dropped with their version

# Standard wording of one-stop-office papers (motto, labels, formulae). zlib starts each
# page's stream from it, so a 1-2 KB page compresses about 2x better than alone. The copy
# a file was built with is kept in its ``search_meta`` (``zdict``): changing this text later
# never breaks an existing index.
ZDICT = (
    " ngày  tháng  năm  của  và  cho  các  có  được  theo  tại  số  xã  huyện  tỉnh  thôn  phường  quận "
    " thành phố  ông  bà  hộ  người  Nơi cư trú: thôn , xã , huyện , tỉnh \n"
    "Số định danh cá nhân: Căn cước công dân số Giấy tờ tùy thân: Ngày, tháng, năm sinh: Giới tính: Nam Nữ "
    "Dân tộc: Kinh Quốc tịch: Việt Nam\nHọ, chữ đệm, tên: Họ và tên: Họ, chữ đệm, tên người yêu cầu: "
    "Họ, chữ đệm, tên người mẹ: người cha: Nơi sinh: Trạm Y tế xã Nơi đăng ký khai sinh: Ủy ban nhân dân xã\n"
    "TRÍCH LỤC KHAI SINH (Bản sao) Quyển số: NGƯỜI KÝ TRÍCH LỤC GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN "
    "Tình trạng hôn nhân: đăng ký kết hôn Giấy này có giá trị sử dụng\nGIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH "
    "Tên hộ kinh doanh: Địa điểm kinh doanh: Ngành, nghề kinh doanh: Vốn kinh doanh: đồng Họ và tên đại diện "
    "hộ kinh doanh: Nơi thường trú: Sinh ngày: Đăng ký lần đầu:\nGIẤY PHÉP XÂY DỰNG Công trình nhà ở riêng lẻ "
    "Địa chỉ: Được phép xây dựng công trình: Diện tích xây dựng thửa đất số tờ bản đồ số Giấy chứng nhận "
    "quyền sử dụng đất\nQUYẾT ĐỊNH Về việc Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; "
    "Căn cứ Nghị định số /NĐ-CP của Chính phủ; Căn cứ Quyết định số /QĐ-UBND của Ủy ban nhân dân tỉnh "
    "Xét đề nghị của Trưởng phòng Điều 1. Điều 2. Điều 3. Quyết định này có hiệu lực kể từ ngày ký. "
    "Chánh Văn phòng HĐND và UBND huyện, Trưởng phòng Tài chính - Kế hoạch và các cơ quan, đơn vị có liên quan "
    "chịu trách nhiệm thi hành Quyết định này. Nơi nhận: Như Điều 3; Lưu: VT.\nĐƠN ĐỀ NGHỊ TỜ KHAI Kính gửi: "
    "Ủy ban nhân dân Đề nghị cơ quan cấp bản sao trích lục Số lượng bản sao yêu cầu: bản. Tôi cam đoan những "
    "nội dung khai trên đây là đúng sự thật và chịu trách nhiệm trước pháp luật. NGƯỜI YÊU CẦU\n"
    "hồ sơ thủ tục hành chính tiếp nhận và trả kết quả hỗ trợ kinh phí hộ nghèo hộ cận nghèo hộ gia đình "
    "nhân khẩu danh sách bảo hiểm y tế giấy chứng nhận\nUBND HUYỆN PHÒNG TÀI CHÍNH - KẾ HOẠCH "
    "TM. ỦY BAN NHÂN DÂN KT. CHỦ TỊCH PHÓ CHỦ TỊCH TRƯỞNG PHÒNG\nNguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ "
    "Đặng Bùi Đỗ Hồ Ngô Dương Lý Văn Thị Hữu Đức Minh Thu Ngọc Quang Thanh Xuân Kim\n"
    "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
).encode()


def tables(version: int) -> dict[str, str]:
    return {name: f"{name}_v{version}" for name in TABLES}


def create_statements(version: int) -> list[str]:
    t = tables(version)
    return [
        f"""CREATE TABLE IF NOT EXISTS {t['docs']} (
            k INTEGER PRIMARY KEY, document_id TEXT NOT NULL UNIQUE, agency_code TEXT, procedure_code TEXT,
            uploaded_day TEXT, status TEXT, filename TEXT, tags TEXT NOT NULL)""",
        f"""CREATE TABLE IF NOT EXISTS {t['records']} (
            id INTEGER PRIMARY KEY, record_id TEXT, owner_name TEXT, doc_type TEXT, doc_number TEXT,
            issue_date TEXT, valid_from TEXT, valid_until TEXT, permanent INTEGER, legal_status TEXT,
            names TEXT NOT NULL, tags TEXT NOT NULL)""",
        f"""CREATE TABLE IF NOT EXISTS {t['pages']} (
            id INTEGER PRIMARY KEY, text BLOB NOT NULL, needs_review INTEGER NOT NULL DEFAULT 0)""",
        f"""CREATE TABLE IF NOT EXISTS {t['doc_batches']} (
            batch_id TEXT NOT NULL, k INTEGER NOT NULL, PRIMARY KEY (batch_id, k)) WITHOUT ROWID""",
        f"CREATE INDEX IF NOT EXISTS {t['doc_batches']}_k ON {t['doc_batches']} (k)",
        f"""CREATE TABLE IF NOT EXISTS {t['record_owners']} (
            owner_id TEXT NOT NULL, rec INTEGER NOT NULL, PRIMARY KEY (owner_id, rec)) WITHOUT ROWID""",
        f"CREATE INDEX IF NOT EXISTS {t['record_owners']}_rec ON {t['record_owners']} (rec)",
        # no positions, no column sizes: pair tokens stand for adjacency, and nothing reads bm25
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {t['fts']} USING fts5(t, content='', detail=none, columnsize=0, "
        f"tokenize=\"{TOKENIZER}\")",
    ]


def drop_statements(version: int) -> list[str]:
    return [f"DROP TABLE IF EXISTS {name}_v{version}" for name in (*TABLES, *OLD_TABLES)]


def compress(text: str, zdict: bytes) -> bytes:
    packer = zlib.compressobj(6, zdict=zdict)
    return packer.compress(text.encode("utf-8")) + packer.flush()


def decompress(blob: bytes, zdict: bytes) -> str:
    unpacker = zlib.decompressobj(zdict=zdict)
    return (unpacker.decompress(blob) + unpacker.flush()).decode("utf-8")


def doc_row(key: int | None, doc: IndexedDocument, tags: str) -> tuple[Any, ...]:
    """The ``DOC_COLUMNS`` of a document, in that order."""
    return (key, doc.document_id, doc.agency_code, doc.procedure_code, local_day(doc.uploaded_at), doc.status,
            doc.filename, tags)


def record_row(row_id: int, record: IndexedRecord, names_json: str, tags: str) -> tuple[Any, ...]:
    """The ``RECORD_COLUMNS`` of the record of a run of pages (``row_id``: its first page's)."""
    return (
        row_id, record.record_id, record.owner_name, record.doc_type, record.doc_number, _iso(record.issue_date),
        _iso(record.valid_from), _iso(record.valid_until), None if record.permanent is None else int(record.permanent),
        record.legal_status, names_json, tags,
    )


def local_day(moment: datetime | None) -> str | None:
    """The Asia/Ho_Chi_Minh calendar day of an upload (naive datetimes are UTC)."""
    if moment is None:
        return None
    return vn_day(moment).isoformat()


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def range_sql(filters: SearchFilters | None) -> tuple[str, list[Any]]:
    """The filters FTS5 tags cannot express (day ranges), over ``d`` (docs) and ``r`` (the
    page's record); "" if none. Days are ISO text, so comparing the strings compares the days
    (NULL matches no range)."""
    f = filters or SearchFilters()
    clauses: list[str] = []
    params: list[Any] = []
    for column, low, high in (("d.uploaded_day", f.uploaded_from, f.uploaded_to),
                              ("r.issue_date", f.issued_from, f.issued_to)):
        if low is not None:
            clauses.append(f"{column} >= ?")
            params.append(low.isoformat())
        if high is not None:
            clauses.append(f"{column} <= ?")
            params.append(high.isoformat())
    if f.valid_on is not None:
        clauses.append("(r.valid_from IS NULL OR r.valid_from <= ?) AND (r.permanent = 1 OR r.valid_until >= ?)")
        params += [f.valid_on.isoformat()] * 2
    return " AND ".join(clauses), params


def scan_joins(filters: SearchFilters | None, version: int) -> str:
    """What a scan of the FTS table ``f`` joins for ``range_sql``: ``d`` for upload days,
    ``r`` (the page's record) for issue days and ``valid_on``; nothing without a range."""
    t = tables(version)
    f = filters or SearchFilters()
    joins = ""
    if f.uploaded_from is not None or f.uploaded_to is not None:
        joins += f" JOIN {t['docs']} d ON d.k = f.rowid >> {PAGE_BITS}"
    if f.valid_on is not None or f.issued_from is not None or f.issued_to is not None:
        joins += f" JOIN {record_of('f.rowid', version)}"
    return joins


def record_of(page_id: str, version: int) -> str:
    """``records r`` joined to the page whose row id is the SQL expression ``page_id``."""
    records = tables(version)["records"]
    return f"{records} r ON r.id = (SELECT id FROM {records} WHERE id <= {page_id} ORDER BY id DESC LIMIT 1)"


def page_source(version: int) -> str:
    """Pages ``p`` with their document ``d`` and record ``r`` (for the few pages of an answer)."""
    t = tables(version)
    return f"{t['pages']} p JOIN {t['docs']} d ON d.k = p.id >> {PAGE_BITS} JOIN {record_of('p.id', version)}"


def filter_sql(filters: SearchFilters | None, version: int) -> tuple[str, list[Any]]:
    """Every filter as a WHERE fragment over ``p`` (pages), ``d`` (docs) and ``r`` (the page's
    record), for listings without a query and for ``count``."""
    t = tables(version)
    f = filters or SearchFilters()
    clauses: list[str] = []
    params: list[Any] = []
    if f.batch_id is not None:
        clauses.append(f"d.k IN (SELECT k FROM {t['doc_batches']} WHERE batch_id = ?)")
        params.append(f.batch_id)
    if f.owner_id is not None:
        clauses.append(f"r.id IN (SELECT rec FROM {t['record_owners']} WHERE owner_id = ?)")
        params.append(f.owner_id)
    for column, value in (("d.agency_code", f.agency_code), ("d.procedure_code", f.procedure_code),
                          ("d.status", f.status), ("r.doc_type", f.doc_type)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if f.issue_year is not None:
        clauses.append("r.issue_date >= ? AND r.issue_date <= ?")  # ISO days: 9999 has no next year
        params += [f"{f.issue_year:04d}-01-01", f"{f.issue_year:04d}-12-31"]
    if f.needs_review is not None:
        clauses.append("p.needs_review = ?")
        params.append(int(f.needs_review))
    ranges, range_params = range_sql(f)
    if ranges:
        clauses.append(ranges)
        params += range_params
    return (" AND ".join(clauses) or "1"), params
