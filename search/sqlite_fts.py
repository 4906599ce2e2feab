"""The embedded search backend: SQLite FTS5 in its own file, safe for an API and workers.

One FTS5 row per page with two indexed columns: ``exact`` (``vntext.normalize``) and
``folded`` (``vntext.folded``). A query must match on ``folded`` (recall: typed without
diacritics still finds the page); exact-column phrases ride along in the MATCH so bm25
ranks pages with the diacritics as typed higher.

Concurrency: WAL mode plus a busy timeout; each call opens its own short-lived
connection (cheap, and safe across the fork RQ does), writes take ``BEGIN IMMEDIATE`` so
two writers queue instead of deadlocking, and a search reads inside one transaction so it
sees one consistent snapshot even while a rebuild swaps versions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from search import _sqlite_sql as sql
from search.base import (
    FACET_SIZE,
    FacetBucket,
    IndexedDocument,
    SearchFilters,
    SearchHit,
    SearchQuery,
    SearchResult,
    top_buckets,
)
from search.errors import SearchUnavailable
from search.query import ParsedQuery, index_forms, parse_query, validate_paging
from search.snippets import make_snippet
from sohoa.core.vocab import SearchFacet, SearchSort
from sohoa.domain import vntext

if TYPE_CHECKING:
    from sohoa.core.config import Settings

BUSY_TIMEOUT_SECONDS = 30.0
_TRANSIENT = ("locked", "busy", "disk I/O", "unable to open")
WRITE_CHUNK = 200  # documents per write transaction: bounds how long workers wait
# ORDER BY of each SearchSort ({t} is the table prefix); ties always end in document and page.
ORDERS = {
    SearchSort.RELEVANCE: "{t}score DESC, {t}document_id ASC, {t}page ASC",
    SearchSort.ISSUE_DATE: "{t}issue_date IS NULL, {t}issue_date DESC, {t}score DESC, {t}document_id ASC, {t}page ASC",
}


class SqliteSearchBackend:
    name = "sqlite"

    def __init__(self, path: str | Path, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.path.parent.mkdir(parents=True, exist_ok=True)
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
        """Create the schema once; later opens (one per API request) only read."""
        with self._connect() as conn:
            ready = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'search_meta'"
            ).fetchone()
            if ready and _meta(conn, "current_version") is not None:
                if _meta(conn, "schema") == str(sql.SCHEMA):
                    return
            else:
                conn.execute("PRAGMA journal_mode = WAL")  # persistent: set once, in the file
        with self._write() as conn:
            conn.execute(sql.META_DDL)
            if _meta(conn, "current_version") is None:
                for statement in sql.create_statements(1):
                    conn.execute(statement)
                _set_meta(conn, "current_version", 1)
            _upgrade(conn)
            _set_meta(conn, "schema", sql.SCHEMA)

    # -- writes ------------------------------------------------------------------------

    def index_documents(self, documents: Iterable[IndexedDocument]) -> None:
        """Replace every page of each document in every live version (current + building)."""
        docs = iter(documents)
        while chunk := list(islice(docs, WRITE_CHUNK)):
            with self._write() as conn:
                for version in _live_versions(conn):
                    for doc in chunk:
                        _delete(conn, version, doc.document_id)
                        _insert(conn, version, doc)

    def delete_document(self, document_id: str) -> None:
        with self._write() as conn:
            for version in _live_versions(conn):
                _delete(conn, version, document_id)

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
        try:
            count = self._fill(new, documents)
            with self._write() as conn:  # merge FTS segments before the new version serves
                fts = sql.tables(new)["fts"]
                conn.execute(f"INSERT INTO {fts}({fts}) VALUES ('optimize')")
            with self._write() as conn:
                old = int(_meta(conn, "current_version") or current)
                _set_meta(conn, "current_version", new)
                conn.execute("DELETE FROM search_meta WHERE key = 'building_version'")
        except BaseException:
            with self._write() as conn:
                _drop(conn, new)
                conn.execute("DELETE FROM search_meta WHERE key = 'building_version'")
            raise
        with self._write() as conn:
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
                        f"SELECT 1 FROM {docs_table} WHERE document_id = ?", (doc.document_id,)
                    ).fetchone()
                    if not present:
                        _insert(conn, version, doc)
            count += len(chunk)
        return count

    # -- reads -------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        parsed = parse_query(query.q)
        after = validate_paging(query)
        offset = 0 if after is not None else (query.page - 1) * query.size
        with self._read() as conn:
            version = int(_meta(conn, "current_version") or 1)
            source, params = _hits_source(parsed, query.filters, version)
            where, after_params = sql.after_sql(after)
            t = sql.tables(version)
            order = ORDERS[query.sort]
            rows = conn.execute(  # the total rides along: the full-text match runs once
                f"WITH hits AS MATERIALIZED ({source}), "
                f"top AS (SELECT * FROM hits WHERE {where} "
                f"ORDER BY {order.format(t='')} LIMIT ? OFFSET ?) "
                "SELECT top.document_id, top.page, top.score, p.text, d.filename, (SELECT count(*) FROM hits) "
                f"FROM top JOIN {t['pages']} p ON p.id = top.id JOIN {t['docs']} d ON d.document_id = top.document_id "
                f"ORDER BY {order.format(t='top.')}",
                [*params, *after_params, query.size, offset],
            ).fetchall()
            if rows:
                total = rows[0][5]
            else:
                total = conn.execute(f"SELECT count(*) FROM ({source})", params).fetchone()[0]
            facets = _facets(conn, version, source, params) if query.facets else None
        hits = [
            SearchHit(
                document_id=doc, page=page, score=score, snippet=make_snippet(text, parsed),
                filename=filename, sort=[score, doc, page] if query.sort == SearchSort.RELEVANCE else None,
            )
            for doc, page, score, text, filename, _ in rows
        ]
        return SearchResult(total=total, hits=hits, facets=facets)

    def count(self, filters: SearchFilters | None = None) -> int:
        with self._read() as conn:
            version = int(_meta(conn, "current_version") or 1)
            where, params = sql.filter_sql(filters, version)
            t = sql.tables(version)
            return conn.execute(
                f"SELECT count(*) FROM {t['pages']} p JOIN {t['docs']} d ON d.document_id = p.document_id "
                f"WHERE {where}",
                params,
            ).fetchone()[0]

    def ping(self) -> bool:
        try:
            with self._read() as conn:
                return _meta(conn, "current_version") is not None
        except (sqlite3.Error, SearchUnavailable):
            return False

    def close(self) -> None:
        """Nothing to release: connections live only for the duration of one call."""


def _hits_source(parsed: ParsedQuery, filters: SearchFilters, version: int) -> tuple[str, list[Any]]:
    """SELECT of every matching page with its score (0 for match-all)."""
    t = sql.tables(version)
    where, params = sql.filter_sql(filters, version)
    columns = "p.id AS id, p.document_id AS document_id, p.page AS page, d.issue_date AS issue_date"  # text later
    if parsed.match_all:
        return (
            f"SELECT {columns}, 0.0 AS score FROM {t['pages']} p "
            f"JOIN {t['docs']} d ON d.document_id = p.document_id WHERE {where}",
            params,
        )
    fts = t["fts"]
    return (
        f"SELECT {columns}, -bm25({fts}, {sql.EXACT_WEIGHT}, {sql.FOLDED_WEIGHT}) AS score "
        f"FROM {fts} JOIN {t['pages']} p ON p.id = {fts}.rowid "
        f"JOIN {t['docs']} d ON d.document_id = p.document_id "
        f"WHERE {fts} MATCH ? AND {where}",
        [sql.match_expression(parsed), *params],
    )


def _upgrade(conn: sqlite3.Connection) -> None:
    """Add the columns a file written by an older version lacks (their values arrive with
    the next ``index_documents`` of each document, or ``sohoa reindex``)."""
    for version in _live_versions(conn):
        existing: dict[str, set[str]] = {}
        for table in sql.tables(version).values():
            existing[table] = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        for statement in sql.upgrade_statements(version, existing):
            conn.execute(statement)


def _facets(conn: sqlite3.Connection, version: int, source: str, params: list[Any]) -> dict[str, list[FacetBucket]]:
    """Every facet of the matching pages, in the search's read transaction (same snapshot)."""
    counts: dict[str, dict[str, int]] = {facet.value: {} for facet in SearchFacet}
    for facet, value, n in conn.execute(f"WITH hits AS MATERIALIZED ({source}) {sql.facets_sql(version)}",
                                        [*params, FACET_SIZE]):
        counts[facet][str(value)] = n
    return {facet: top_buckets(values) for facet, values in counts.items()}


def _meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM search_meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else row[0]


def _set_meta(conn: sqlite3.Connection, key: str, value: object) -> None:
    conn.execute(
        "INSERT INTO search_meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, str(value)),
    )


def _live_versions(conn: sqlite3.Connection) -> list[int]:
    versions = [int(_meta(conn, "current_version") or 1)]
    building = _meta(conn, "building_version")
    if building is not None:
        versions.append(int(building))
    return versions


def _drop(conn: sqlite3.Connection, version: int) -> None:
    for statement in sql.drop_statements(version):
        conn.execute(statement)


def _delete(conn: sqlite3.Connection, version: int, document_id: str) -> None:
    for statement in sql.delete_statements(version):
        conn.execute(statement, (document_id,))


def _insert(conn: sqlite3.Connection, version: int, doc: IndexedDocument) -> None:
    t = sql.tables(version)
    numbers = [p.number for p in doc.pages]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"document {doc.document_id} lists a page number twice: {numbers}")
    conn.execute(f"INSERT INTO {t['docs']} ({', '.join(sql.DOC_COLUMNS)}) "
                 f"VALUES ({', '.join('?' * len(sql.DOC_COLUMNS))})", sql.doc_row(doc))
    conn.executemany(
        f"INSERT OR IGNORE INTO {t['doc_batches']} (batch_id, document_id) VALUES (?, ?)",
        [(b, doc.document_id) for b in doc.batch_ids],
    )
    conn.executemany(
        f"INSERT OR IGNORE INTO {t['doc_owners']} (owner_id, document_id) VALUES (?, ?)",
        [(o, doc.document_id) for o in doc.owner_ids],
    )
    for page in doc.pages:
        text = vntext.nfc(page.text)
        exact, folded = index_forms(text)
        cursor = conn.execute(
            f"INSERT INTO {t['pages']} (document_id, page, text, needs_review) VALUES (?, ?, ?, ?)",
            (doc.document_id, page.number, text, int(page.needs_review)),
        )
        conn.execute(
            f"INSERT INTO {t['fts']} (rowid, exact, folded) VALUES (?, ?, ?)",
            (cursor.lastrowid, exact, folded),
        )
