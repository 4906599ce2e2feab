"""The embedded search backend: SQLite FTS5 in its own file, safe for an API and workers.

Per index version: ``docs``, ``records`` (the record each page is indexed with: its part's),
``pages`` (the text once, compressed) and one contentless FTS5 table of folded words,
adjacent-word pairs, the names of the page's record and filter tags (``_sqlite_tokens``).
A query is answered stage by stage (``_sqlite_plan``): each stage is one descending row id
scan of the FTS5 table alone, so the first page of hits costs what reading it costs, and
only those hits are joined to ``docs``/``pages``/``records`` (``_sqlite_read``).

Concurrency: WAL mode plus a busy timeout; each call opens its own short-lived
connection (cheap, and safe across the fork RQ does), writes take ``BEGIN IMMEDIATE`` so
two writers queue instead of deadlocking, and a search reads inside one transaction so it
sees one consistent snapshot even while a rebuild swaps versions.

An index file written by an older sohoa (schema 1-3) is not read: searches answer
``SearchUnavailable`` and ``needs_rebuild()`` is true until ``rebuild`` (``sohoa reindex``,
or the reconciler on its own) fills a version in the current layout.
"""

from __future__ import annotations

import json
import sqlite3
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from search import _sqlite_read as read
from search import _sqlite_sql as sql
from search._sqlite_tokens import doc_tags, name_words, page_tokens, record_tags
from search.base import IndexedDocument, IndexedRecord, SearchFilters, SearchQuery, SearchResult
from search.errors import SearchUnavailable
from sohoa.domain import vntext

if TYPE_CHECKING:
    from sohoa.core.config import Settings

BUSY_TIMEOUT_SECONDS = 30.0
_TRANSIENT = ("locked", "busy", "disk I/O", "unable to open")
WRITE_CHUNK = 200  # documents per write transaction: bounds how long workers wait


class IndexOutdated(SearchUnavailable):
    """The file was written by an older sohoa; it is rebuilt, not read."""

    code = "search_index_outdated"


class SqliteSearchBackend:
    name = "sqlite"

    def __init__(self, path: str | Path, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.zdict = sql.ZDICT
        self._init_schema()

    @classmethod
    def from_settings(cls, settings: Settings) -> SqliteSearchBackend:
        assert settings.search_sqlite_path is not None  # filled by Settings' validator
        return cls(settings.search_sqlite_path)

    # -- connections -------------------------------------------------------------------

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A short-lived connection; lock timeouts and I/O failures become ``SearchUnavailable``."""
        try:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
        except sqlite3.OperationalError as exc:
            raise SearchUnavailable(f"cannot open the search index {self.path}: {exc}") from exc
        try:
            conn.execute("PRAGMA synchronous = NORMAL")  # derived data; WAL keeps it consistent
            yield conn
        except sqlite3.OperationalError as exc:
            if any(word in str(exc) for word in _TRANSIENT):
                raise SearchUnavailable(f"the search index is unavailable: {exc}") from exc
            raise
        finally:
            conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken up front so concurrent writers wait their turn."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as conn:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")

    def _init_schema(self) -> None:
        """Create the schema once; later opens (one per process) only read it."""
        with self._connect() as conn:
            ready = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'search_meta'").fetchone()
            if ready and _meta(conn, "current_version") is not None:
                self.zdict = _zdict(conn)
                return
            conn.execute("PRAGMA journal_mode = WAL")  # persistent: set once, in the file
        with self._write() as conn:
            conn.execute(sql.META_DDL)
            if _meta(conn, "current_version") is None:
                for statement in sql.create_statements(1):
                    conn.execute(statement)
                _set_meta(conn, "current_version", 1)
                _set_meta(conn, "schema", sql.SCHEMA)
                _set_meta(conn, "zdict", sql.ZDICT)
            self.zdict = _zdict(conn)

    def needs_rebuild(self) -> bool:
        """True for a file written by an older sohoa until ``rebuild`` replaces its contents."""
        with self._read() as conn:
            return _outdated(conn)

    # -- writes ------------------------------------------------------------------------

    def index_documents(self, documents: Iterable[IndexedDocument]) -> None:
        """Replace every page of each document in every live version (current + building)."""
        docs = iter(documents)
        while chunk := list(islice(docs, WRITE_CHUNK)):
            with self._write() as conn:
                versions = _writable_versions(conn)
                for version in versions:
                    for doc in chunk:
                        _insert(conn, version, doc, self.zdict, key=_delete(conn, version, doc.document_id,
                                                                              self.zdict))

    def delete_document(self, document_id: str) -> None:
        with self._write() as conn:
            for version in _writable_versions(conn):
                _delete(conn, version, document_id, self.zdict)

    def rebuild(self, documents: Iterable[IndexedDocument]) -> int:
        """Fill a new table set, then swap the version pointer in one transaction.

        Searches keep using the current version until the swap. Documents indexed by
        workers meanwhile go to both versions; the rebuild does not overwrite those
        (a worker's write during the build is at least as fresh as the build's input).
        One rebuild at a time (``workers.jobs.rebuild_lock`` guards ``reindex_all``): a second one
        would treat the first's tables as abandoned.
        """
        with self._write() as conn:
            current = int(_meta(conn, "current_version") or 1)
            stale = _meta(conn, "building_version")
            if stale is not None:  # a crashed earlier rebuild
                _drop(conn, int(stale))
            new = max(current, int(stale or 0)) + 1
            for statement in sql.create_statements(new):
                conn.execute(statement)
            _set_meta(conn, "building_version", new)
            if _meta(conn, "zdict") is None:  # a file from before compression
                _set_meta(conn, "zdict", sql.ZDICT)
            self.zdict = _zdict(conn)
        try:
            count = self._fill(new, documents)
            with self._write() as conn:  # merge FTS segments before the new version serves
                fts = sql.tables(new)["fts"]
                conn.execute(f"INSERT INTO {fts}({fts}) VALUES ('optimize')")
            with self._write() as conn:
                old = int(_meta(conn, "current_version") or current)
                _set_meta(conn, "current_version", new)
                _set_meta(conn, "schema", sql.SCHEMA)
                conn.execute("DELETE FROM search_meta WHERE key = 'building_version'")
        except BaseException:
            with self._write() as conn:
                _drop(conn, new)
                conn.execute("DELETE FROM search_meta WHERE key = 'building_version'")
            raise
        with self._write() as conn:  # an older layout used the same table names
            _drop(conn, old)
        return count

    def _fill(self, version: int, documents: Iterable[IndexedDocument]) -> int:
        count = 0
        docs = iter(documents)
        docs_table = sql.tables(version)["docs"]
        while chunk := list(islice(docs, WRITE_CHUNK)):
            with self._write() as conn:
                for doc in chunk:
                    present = conn.execute(
                        f"SELECT 1 FROM {docs_table} WHERE document_id = ?", (doc.document_id,)).fetchone()
                    if not present:
                        _insert(conn, version, doc, self.zdict)
            count += len(chunk)
        return count

    # -- reads -------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        with self._read() as conn:
            return read.search(conn, _readable_version(conn), query, self.zdict)

    def count(self, filters: SearchFilters | None = None) -> int:
        with self._read() as conn:
            return read.count(conn, _readable_version(conn), filters)

    def ping(self) -> bool:
        try:
            with self._read() as conn:
                return _meta(conn, "current_version") is not None
        except (sqlite3.Error, SearchUnavailable):
            return False

    def close(self) -> None:
        """Nothing to release: connections live only for the duration of one call."""


def _meta(conn: sqlite3.Connection, key: str) -> bytes | str | None:
    row = conn.execute("SELECT value FROM search_meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else row[0]


def _zdict(conn: sqlite3.Connection) -> bytes:
    """The compression dictionary this file's pages were written with."""
    stored = _meta(conn, "zdict")
    return stored if isinstance(stored, bytes) else sql.ZDICT


def _set_meta(conn: sqlite3.Connection, key: str, value: object) -> None:
    stored = value if isinstance(value, bytes) else str(value)
    conn.execute("INSERT INTO search_meta (key, value) VALUES (?, ?) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, stored))


def _outdated(conn: sqlite3.Connection) -> bool:
    return int(_meta(conn, "schema") or 1) < sql.SCHEMA


def _readable_version(conn: sqlite3.Connection) -> int:
    if _outdated(conn):
        raise IndexOutdated("the search index was written by an older version of sohoa and is being rebuilt; "
                            "run `sohoa reindex` if it does not come back")
    return int(_meta(conn, "current_version") or 1)


def _writable_versions(conn: sqlite3.Connection) -> list[int]:
    """Versions in the current layout that take writes (an outdated current one does not)."""
    versions = [] if _outdated(conn) else [int(_meta(conn, "current_version") or 1)]
    building = _meta(conn, "building_version")
    if building is not None:
        versions.append(int(building))
    if not versions:
        raise IndexOutdated("the search index was written by an older version of sohoa; it takes writes again "
                            "once `sohoa reindex` has rebuilt it")
    return versions


def _drop(conn: sqlite3.Connection, version: int) -> None:
    for statement in sql.drop_statements(version):
        conn.execute(statement)


def _delete(conn: sqlite3.Connection, version: int, document_id: str, zdict: bytes) -> int | None:
    """Remove one document's rows; return its key (kept when it is indexed again)."""
    t = sql.tables(version)
    row = conn.execute(f"SELECT k, tags FROM {t['docs']} WHERE document_id = ?", (document_id,)).fetchone()
    if row is None:
        return None
    key, doc_tag_text = row
    low, high = key << sql.PAGE_BITS, (key << sql.PAGE_BITS) | sql.MAX_PAGE
    runs = [(first, name_words(json.loads(names)), [*doc_tag_text.split(), *tags.split()]) for first, names, tags
            in conn.execute(f"SELECT id, names, tags FROM {t['records']} WHERE id BETWEEN ? AND ? ORDER BY id",
                            (low, high))]
    starts = [first for first, _, _ in runs]
    pages = conn.execute(f"SELECT id, text, needs_review FROM {t['pages']} WHERE id BETWEEN ? AND ?",
                         (low, high)).fetchall()
    tokens = []
    for page_id, blob, flag in pages:  # contentless: FTS5 is told the tokens each row was inserted with
        _, words, tags = runs[bisect_right(starts, page_id) - 1]
        tokens.append((page_id, page_tokens(sql.decompress(blob, zdict), words, tags, bool(flag))))
    fts = t["fts"]
    conn.executemany(f"INSERT INTO {fts} ({fts}, rowid, t) VALUES ('delete', ?, ?)", tokens)
    for table, column in (("pages", "id"), ("records", "id"), ("record_owners", "rec")):
        conn.execute(f"DELETE FROM {t[table]} WHERE {column} BETWEEN ? AND ?", (low, high))
    for table in ("docs", "doc_batches"):
        conn.execute(f"DELETE FROM {t[table]} WHERE k = ?", (key,))
    return int(key)


def _insert(conn: sqlite3.Connection, version: int, doc: IndexedDocument, zdict: bytes,
            key: int | None = None) -> None:
    t = sql.tables(version)
    numbers = [p.number for p in doc.pages]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"document {doc.document_id} lists a page number twice: {numbers}")
    if any(not 1 <= n <= sql.MAX_PAGE for n in numbers):
        raise ValueError(f"document {doc.document_id}: page numbers must be 1..{sql.MAX_PAGE}")
    tags = doc_tags(doc)
    cursor = conn.execute(f"INSERT INTO {t['docs']} ({', '.join(sql.DOC_COLUMNS)}) "
                          f"VALUES ({', '.join('?' * len(sql.DOC_COLUMNS))})", sql.doc_row(key, doc, " ".join(tags)))
    key = int(cursor.lastrowid or 0) if key is None else key
    conn.executemany(f"INSERT OR IGNORE INTO {t['doc_batches']} (batch_id, k) VALUES (?, ?)",
                     [(b, key) for b in doc.batch_ids])
    run: tuple[IndexedRecord, list[list[str]], list[str]] | None = None  # the record of the pages so far
    for page in sorted(doc.pages, key=lambda p: p.number):
        page_id = (key << sql.PAGE_BITS) | page.number
        record = doc.record_of(page.number)
        if run is None or run[0] is not record:  # a new run of pages: its record's row has its first page's id
            run = (record, *_insert_record(conn, t, page_id, record))
        _, words, record_tag_list = run
        text = vntext.nfc(page.text)
        conn.execute(f"INSERT INTO {t['pages']} (id, text, needs_review) VALUES (?, ?, ?)",
                     (page_id, sql.compress(text, zdict), int(page.needs_review)))
        conn.execute(f"INSERT INTO {t['fts']} (rowid, t) VALUES (?, ?)",
                     (page_id, page_tokens(text, words, [*tags, *record_tag_list], page.needs_review)))


def _insert_record(conn: sqlite3.Connection, t: dict[str, str], row_id: int,
                   record: IndexedRecord) -> tuple[list[list[str]], list[str]]:
    """The row of the record of a run of pages starting at page ``row_id``; the words of its
    names and its tags (what those pages' tokens are made of)."""
    names = [vntext.nfc(n) for n in dict.fromkeys(record.names) if n and n.strip()]
    tags = record_tags(record)
    conn.execute(f"INSERT INTO {t['records']} ({', '.join(sql.RECORD_COLUMNS)}) "
                 f"VALUES ({', '.join('?' * len(sql.RECORD_COLUMNS))})",
                 sql.record_row(row_id, record, json.dumps(names, ensure_ascii=False), " ".join(tags)))
    conn.executemany(f"INSERT OR IGNORE INTO {t['record_owners']} (owner_id, rec) VALUES (?, ?)",
                     [(o, row_id) for o in record.owner_ids])
    return name_words(names), tags
