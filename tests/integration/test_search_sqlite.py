"""The shared conformance suite on the SQLite FTS5 backend, plus what only SQLite has:
one file shared by several processes, versioned tables swapped during a rebuild."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from search import open_backend
from search.base import IndexedDocument, IndexedPage, SearchQuery
from search.errors import SearchUnavailable
from search.sqlite_fts import SqliteSearchBackend
from sohoa.core.config import Settings
from tests.integration.search_conformance import SearchBackendConformance, doc


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


def test_an_index_file_of_the_first_schema_gets_the_facet_columns(tmp_path: Path) -> None:
    """A file written before facets existed: opened, it gains the new columns in place and
    keeps serving its documents; documents indexed from then on carry the new fields."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript("""
            CREATE TABLE search_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            INSERT INTO search_meta VALUES ('current_version', '1');
            CREATE TABLE docs_v1 (document_id TEXT PRIMARY KEY, agency_code TEXT, procedure_code TEXT,
                uploaded_day TEXT, status TEXT, filename TEXT, doc_type TEXT, valid_from TEXT, valid_until TEXT,
                permanent INTEGER, legal_status TEXT);
            CREATE TABLE pages_v1 (id INTEGER PRIMARY KEY, document_id TEXT NOT NULL, page INTEGER NOT NULL,
                text TEXT NOT NULL, UNIQUE (document_id, page));
            CREATE TABLE doc_batches_v1 (batch_id TEXT NOT NULL, document_id TEXT NOT NULL,
                PRIMARY KEY (batch_id, document_id));
            CREATE TABLE doc_owners_v1 (owner_id TEXT NOT NULL, document_id TEXT NOT NULL,
                PRIMARY KEY (owner_id, document_id));
            CREATE VIRTUAL TABLE fts_v1 USING fts5(exact, folded, tokenize='unicode61 remove_diacritics 0');
            INSERT INTO docs_v1 (document_id, status) VALUES ('d-old', 'indexed');
            INSERT INTO pages_v1 VALUES (1, 'd-old', 1, 'hồ sơ cũ');
            INSERT INTO fts_v1 (rowid, exact, folded) VALUES (1, 'hồ sơ cũ', 'ho so cu');
        """)
    engine = SqliteSearchBackend(path)
    engine.index_documents([IndexedDocument("d-new", [IndexedPage(1, "hồ sơ mới", needs_review=True)],
                                            issue_date=date(2024, 1, 2))])
    result = engine.search(SearchQuery(q="ho so", facets=True))
    assert result.total == 2
    assert result.facets is not None
    assert [(b.value, b.count) for b in result.facets["needs_review"]] == [("false", 1), ("true", 1)]
    assert [(b.value, b.count) for b in result.facets["issue_year"]] == [("2024", 1)]
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM search_meta WHERE key = 'schema'").fetchone() == ("2",)
