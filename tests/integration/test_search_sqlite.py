"""The shared conformance suite on the SQLite FTS5 backend, plus what only SQLite has:
one file shared by several processes, versioned tables swapped during a rebuild."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from search import _sqlite_sql as sql
from search import open_backend
from search.base import IndexedDocument, SearchQuery
from search.errors import SearchUnavailable
from search.sqlite_fts import SqliteSearchBackend
from sohoa.core.config import Settings
from tests.integration.conformance import SearchBackendConformance, doc
from tests.integration.conformance.parts import stack
from tests.integration.legacy_index import write_legacy_index


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[SqliteSearchBackend]:
    engine = SqliteSearchBackend(tmp_path / "search.sqlite3")
    yield engine
    engine.close()


class TestSqliteConformance(SearchBackendConformance):
    pass


def test_from_settings_uses_configured_file_in_wal_mode(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    engine = open_backend(settings)
    assert isinstance(engine, SqliteSearchBackend)
    assert engine.path == tmp_path / "var" / "search.sqlite3"
    with sqlite3.connect(engine.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reopening_keeps_the_index(tmp_path: Path) -> None:
    SqliteSearchBackend(tmp_path / "s.db").index_documents([doc("d-1", "Võ Thị Sáu")])
    assert SqliteSearchBackend(tmp_path / "s.db").search(SearchQuery(q="vo thi sau")).total == 1


def _index_many(path: str, prefix: str, n: int) -> None:
    engine = SqliteSearchBackend(path)
    for i in range(n):
        engine.index_documents([doc(f"{prefix}-{i}", f"tiến trình {prefix} hồ sơ {i}")])


def test_several_processes_write_the_same_file(tmp_path: Path) -> None:
    path = str(tmp_path / "s.db")
    SqliteSearchBackend(path)
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_index_many, args=(path, f"w{k}", 40)) for k in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    engine = SqliteSearchBackend(path)
    assert engine.count() == 120
    assert engine.search(SearchQuery(q="tien trinh w1")).total == 40


def test_searches_keep_working_during_rebuild_and_workers_writes_survive(tmp_path: Path) -> None:
    engine = SqliteSearchBackend(tmp_path / "s.db")
    engine.index_documents([doc(f"old-{i}", f"bản cũ số {i}") for i in range(50)])
    started, release = threading.Event(), threading.Event()
    seen: list[int] = []
    errors: list[BaseException] = []

    def slow_documents() -> Iterator[IndexedDocument]:
        for i in range(500):
            if i == 250:
                started.set()
                release.wait(10)
            yield doc(f"new-{i}", f"bản mới số {i}")

    def searcher() -> None:
        try:
            while rebuild.is_alive() or len(seen) < 5:  # through the swap and the drop
                seen.append(engine.search(SearchQuery(q="ban")).total)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    rebuild = threading.Thread(target=lambda: engine.rebuild(slow_documents()))
    rebuild.start()
    assert started.wait(10)
    reader = threading.Thread(target=searcher)
    reader.start()
    engine.index_documents([doc("during", "bản ghi trong lúc xây lại")])  # a worker meanwhile
    release.set()
    rebuild.join(30)
    reader.join(30)
    assert errors == []
    assert seen and all(total in (50, 51, 500, 501) for total in seen)
    assert engine.search(SearchQuery(q="ban")).total == 501
    assert engine.search(SearchQuery(q="trong luc xay lai")).total == 1
    assert engine.search(SearchQuery(q="ban cu")).total == 0


def test_failed_rebuild_keeps_current_version(tmp_path: Path) -> None:
    engine = SqliteSearchBackend(tmp_path / "s.db")
    engine.index_documents([doc("d-1", "Lưu Giữ")])

    def broken() -> Iterator[IndexedDocument]:
        yield doc("d-2", "mới")
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        engine.rebuild(broken())
    assert engine.search(SearchQuery(q="luu giu")).total == 1
    assert engine.count() == 1
    assert engine.rebuild([doc("d-3", "sau lỗi")]) == 1
    assert engine.count() == 1
    with sqlite3.connect(engine.path) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    versions = {n.split("_v")[1].split("_")[0] for n in names if "_v" in n}
    assert versions == {"2"}  # v1 dropped after the swap; the aborted v2 was dropped and rebuilt


def test_index_locked_by_another_writer_is_search_unavailable(tmp_path: Path) -> None:
    engine = SqliteSearchBackend(tmp_path / "s.db", busy_timeout=0.2)
    engine.index_documents([doc("d-1", "Mai Văn Khóa")])
    holder = sqlite3.connect(engine.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a stuck writer elsewhere
    try:
        with pytest.raises(SearchUnavailable):
            engine.index_documents([doc("d-2", "chờ")])
        assert engine.search(SearchQuery(q="mai van khoa")).total == 1  # WAL: reads go on
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    engine.index_documents([doc("d-2", "chờ")])
    assert engine.count() == 2


def test_opening_an_existing_index_takes_no_write_lock(tmp_path: Path) -> None:
    SqliteSearchBackend(tmp_path / "s.db")
    holder = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        engine = SqliteSearchBackend(tmp_path / "s.db", busy_timeout=0.2)  # an API request
        assert engine.ping() is True
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.parametrize("schema", [2, 3])
def test_an_index_file_of_an_older_layout_is_rebuilt_not_read(tmp_path: Path, schema: int) -> None:
    """A file of schema 2, or 3 (names of the file's first record only): searches and writes
    say the index is unavailable (the document stays pending), ``needs_rebuild`` says so, and
    a rebuild brings it back in the new layout, with no table of the old one left."""
    path = tmp_path / "old.db"
    write_legacy_index(path, schema)
    engine = SqliteSearchBackend(path)
    assert engine.needs_rebuild() is True
    with pytest.raises(SearchUnavailable, match="older version"):
        engine.search(SearchQuery(q="ho so"))
    with pytest.raises(SearchUnavailable, match="reindex"):
        engine.index_documents([doc("d-new", "hồ sơ mới")])
    assert engine.rebuild([doc("d-old", "hồ sơ cũ"), doc("d-new", "hồ sơ mới", names=["Lê Văn Mới"])]) == 2
    assert engine.needs_rebuild() is False
    assert engine.search(SearchQuery(q="ho so")).total == 2
    assert [h.document_id for h in engine.search(SearchQuery(q="le van moi")).hits] == ["d-new"]
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert not any(name.endswith("_v1") for name in tables)
        assert conn.execute("SELECT value FROM search_meta WHERE key = 'schema'").fetchone() == (str(sql.SCHEMA),)


def test_the_text_is_stored_once_compressed_and_the_tokens_without_it(tmp_path: Path) -> None:
    """Contentless FTS: the file holds the page text once (zlib, with the file's dictionary);
    re-indexing and deleting a document tell FTS5 the tokens it was indexed with, so none is
    left behind."""
    engine = SqliteSearchBackend(tmp_path / "s.db")
    text = "Họ, chữ đệm, tên: TRẦN THỊ BÍCH NGỌC\nNơi cư trú: thôn 5, xã Yên Phú"
    engine.index_documents([doc("d-1", text, names=["Trần Thị Bích Ngọc"], agency_code="UBND-X")])
    with sqlite3.connect(engine.path) as conn:
        (blob,) = conn.execute("SELECT text FROM pages_v1").fetchone()
        assert "TRẦN".encode() not in blob and len(blob) < len(text.encode())
        assert conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'fts_v1_content'").fetchall() == []
        conn.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, fts_v1, row)")
        terms = {r[0] for r in conn.execute("SELECT term FROM temp.vocab")}
    assert {"bich", "_bich", "bich_ngoc", "_bich_ngoc", "phu"} <= terms
    engine.index_documents([doc("d-1", "nội dung khác hẳn")])
    assert engine.search(SearchQuery(q="bich ngoc")).total == 0
    assert engine.search(SearchQuery(q="noi dung")).total == 1
    engine.delete_document("d-1")
    with sqlite3.connect(engine.path) as conn:
        conn.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, fts_v1, row)")
        assert conn.execute("SELECT count(*) FROM temp.vocab").fetchone() == (0,)


def test_a_stack_is_indexed_once_per_record_and_leaves_no_token_when_replaced_or_deleted(tmp_path: Path) -> None:
    """Each page's tokens are made with its own part's names and tags; FTS5 is told exactly
    those again when the document is replaced (other boundaries) or deleted."""
    engine = SqliteSearchBackend(tmp_path / "s.db")
    engine.index_documents([stack()])
    with sqlite3.connect(engine.path) as conn:
        # one row per run of pages with one record, under the row id of the run's first page
        assert conn.execute("SELECT id & 65535, record_id, names FROM records_v1 ORDER BY id").fetchall() == [
            (1, "r-marriage", '["Trần Văn Bình", "Lê Thị Hạnh"]'), (3, "r-birth", '["Hồ Thị Phúc", "Kiều Quốc Khải"]')]
        conn.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, fts_v1, row)")
        per_term = dict(conn.execute("SELECT term, doc FROM temp.vocab"))
    assert (per_term["_tran_van"], per_term["_kieu_quoc"], per_term["_phuc"]) == (2, 1, 1)
    engine.index_documents([stack(birth_part=False)])
    engine.index_documents([stack()])
    engine.delete_document("s-stack")
    with sqlite3.connect(engine.path) as conn:
        conn.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, fts_v1, row)")
        assert conn.execute("SELECT count(*) FROM temp.vocab").fetchone() == (0,)
        assert [conn.execute(f"SELECT count(*) FROM {t}_v1").fetchone()[0]
                for t in ("docs", "records", "pages", "record_owners")] == [0, 0, 0, 0]
