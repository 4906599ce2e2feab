"""SQL for the SQLite FTS5 backend: versioned tables, the MATCH expression, filters.

Every table name carries the index version (``pages_v3``…) so a rebuild can fill a new
set next to the one being searched and swap a pointer in ``search_meta``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from search.base import IndexedDocument, SearchFilters
from search.query import ParsedQuery
from sohoa.core.clock import vn_day

# unicode61 without diacritic removal: the exact column keeps them, the folded column
# has none left (folding, incl. đ→d, is done in Python by sohoa.domain.vntext).
TOKENIZER = "unicode61 remove_diacritics 0"
EXACT_WEIGHT = 3.0  # bm25 column weights: an exact-diacritics hit counts 3x a folded one
FOLDED_WEIGHT = 1.0

META_DDL = "CREATE TABLE IF NOT EXISTS search_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
SCHEMA = 2  # 2: docs.issue_date, pages.needs_review (for facets); older files get them added
DOC_COLUMNS = ("document_id", "agency_code", "procedure_code", "uploaded_day", "status", "filename", "doc_type",
               "valid_from", "valid_until", "permanent", "legal_status", "issue_date")
# Columns added after the first schema: (table, column, definition), added to older files.
ADDED_COLUMNS = (("docs", "issue_date", "TEXT"), ("pages", "needs_review", "INTEGER NOT NULL DEFAULT 0"))


def tables(version: int) -> dict[str, str]:
    return {name: f"{name}_v{version}" for name in ("fts", "pages", "docs", "doc_batches", "doc_owners")}


def create_statements(version: int) -> list[str]:
    t = tables(version)
    return [
        f"""CREATE TABLE IF NOT EXISTS {t['docs']} (
            document_id TEXT PRIMARY KEY, agency_code TEXT, procedure_code TEXT,
            uploaded_day TEXT, status TEXT, filename TEXT, doc_type TEXT,
            valid_from TEXT, valid_until TEXT, permanent INTEGER, legal_status TEXT, issue_date TEXT)""",
        f"""CREATE TABLE IF NOT EXISTS {t['pages']} (
            id INTEGER PRIMARY KEY, document_id TEXT NOT NULL, page INTEGER NOT NULL,
            text TEXT NOT NULL, needs_review INTEGER NOT NULL DEFAULT 0, UNIQUE (document_id, page))""",
        f"""CREATE TABLE IF NOT EXISTS {t['doc_batches']} (
            batch_id TEXT NOT NULL, document_id TEXT NOT NULL, PRIMARY KEY (batch_id, document_id))""",
        f"CREATE INDEX IF NOT EXISTS {t['doc_batches']}_doc ON {t['doc_batches']} (document_id)",
        f"""CREATE TABLE IF NOT EXISTS {t['doc_owners']} (
            owner_id TEXT NOT NULL, document_id TEXT NOT NULL, PRIMARY KEY (owner_id, document_id))""",
        f"CREATE INDEX IF NOT EXISTS {t['doc_owners']}_doc ON {t['doc_owners']} (document_id)",
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {t['fts']} USING fts5(exact, folded, tokenize='{TOKENIZER}')",
    ]


def upgrade_statements(version: int, existing: dict[str, set[str]]) -> list[str]:
    """``ALTER TABLE`` for the ``ADDED_COLUMNS`` a version's tables lack (``existing``: table
    name → its columns). Cheap in SQLite: no row is rewritten."""
    t = tables(version)
    return [f"ALTER TABLE {t[table]} ADD COLUMN {column} {definition}"
            for table, column, definition in ADDED_COLUMNS if column not in existing.get(t[table], set())]


def drop_statements(version: int) -> list[str]:
    t = tables(version)
    return [f"DROP TABLE IF EXISTS {t[name]}" for name in ("fts", "pages", "docs", "doc_batches", "doc_owners")]


def delete_statements(version: int) -> list[str]:
    """Remove one document (parameter: document_id, once per statement)."""
    t = tables(version)
    return [
        f"DELETE FROM {t['fts']} WHERE rowid IN (SELECT id FROM {t['pages']} WHERE document_id = ?)",
        f"DELETE FROM {t['pages']} WHERE document_id = ?",
        f"DELETE FROM {t['docs']} WHERE document_id = ?",
        f"DELETE FROM {t['doc_batches']} WHERE document_id = ?",
        f"DELETE FROM {t['doc_owners']} WHERE document_id = ?",
    ]


def doc_row(doc: IndexedDocument) -> tuple[Any, ...]:
    """The ``DOC_COLUMNS`` of a document, in that order."""
    return (
        doc.document_id, doc.agency_code, doc.procedure_code, local_day(doc.uploaded_at),
        doc.status, doc.filename, doc.doc_type, _iso(doc.valid_from), _iso(doc.valid_until),
        None if doc.permanent is None else int(doc.permanent), doc.legal_status, _iso(doc.issue_date),
    )


def local_day(moment: datetime | None) -> str | None:
    """The Asia/Ho_Chi_Minh calendar day of an upload (naive datetimes are UTC)."""
    if moment is None:
        return None
    return vn_day(moment).isoformat()


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _phrase(words: tuple[str, ...]) -> str:
    """An FTS5 string literal: always quoted, so no word can act as syntax."""
    return '"' + " ".join(words).replace('"', '""') + '"'


def match_expression(parsed: ParsedQuery) -> str:
    """All terms required on the folded column, plus optional exact-column phrases for rank.

    ``F1 AND F2 AND (E1 OR E2 OR F1)``: the last group is always true for a row that
    matched the folded terms (the exact set is a subset of the folded set), so it only
    adds the exact phrases' hits to bm25, ranking exact-diacritics pages higher.
    """
    folded = [f"folded : {_phrase(t.folded)}" for t in parsed.terms]
    exact = [f"exact : {_phrase(t.exact)}" for t in parsed.terms]
    return " AND ".join(folded) + " AND (" + " OR ".join([*exact, folded[0]]) + ")"


def filter_sql(filters: SearchFilters | None, version: int) -> tuple[str, list[Any]]:
    """A WHERE fragment over ``p`` (pages) and ``d`` (docs) plus its parameters."""
    t = tables(version)
    clauses: list[str] = []
    params: list[Any] = []
    f = filters or SearchFilters()
    if f.batch_id is not None:
        clauses.append(f"p.document_id IN (SELECT document_id FROM {t['doc_batches']} WHERE batch_id = ?)")
        params.append(f.batch_id)
    if f.owner_id is not None:
        clauses.append(f"p.document_id IN (SELECT document_id FROM {t['doc_owners']} WHERE owner_id = ?)")
        params.append(f.owner_id)
    for column in ("agency_code", "procedure_code", "status", "doc_type"):
        value = getattr(f, column)
        if value is not None:
            clauses.append(f"d.{column} = ?")
            params.append(value)
    if f.uploaded_from is not None:
        clauses.append("d.uploaded_day >= ?")
        params.append(f.uploaded_from.isoformat())
    if f.uploaded_to is not None:
        clauses.append("d.uploaded_day <= ?")
        params.append(f.uploaded_to.isoformat())
    if f.valid_on is not None:
        clauses.append(
            "(d.valid_from IS NULL OR d.valid_from <= ?) AND (d.permanent = 1 OR d.valid_until >= ?)"
        )
        params += [f.valid_on.isoformat()] * 2
    if f.issue_year is not None:
        clauses.append("d.issue_date >= ? AND d.issue_date <= ?")  # ISO days: 9999 has no next year
        params += [f"{f.issue_year:04d}-01-01", f"{f.issue_year:04d}-12-31"]
    if f.needs_review is not None:
        clauses.append("p.needs_review = ?")
        params.append(int(f.needs_review))
    return (" AND ".join(clauses) or "1"), params


# One (facet, value) row per matching page and facet, from the matching pages ``hits``.
_FACET_VALUES = {
    "doc_type": "d.doc_type", "agency_code": "d.agency_code", "procedure_code": "d.procedure_code",
    "issue_year": "substr(d.issue_date, 1, 4)", "status": "d.status",
    "needs_review": "CASE WHEN p.needs_review THEN 'true' ELSE 'false' END",
}


def facets_sql(version: int) -> str:
    """Counts per (facet, value) over the CTE ``hits`` (columns id, document_id), the most
    frequent ``?`` per facet, ties by value (the order ``search.base.top_buckets`` gives)."""
    t = tables(version)
    values = " UNION ALL ".join(
        f"SELECT '{name}' AS facet, {expr} AS value FROM hits JOIN {t['pages']} p ON p.id = hits.id "
        f"JOIN {t['docs']} d ON d.document_id = hits.document_id WHERE {expr} IS NOT NULL"
        for name, expr in _FACET_VALUES.items())
    return (f"SELECT facet, value, n FROM (SELECT facet, value, count(*) AS n, row_number() OVER "
            f"(PARTITION BY facet ORDER BY count(*) DESC, value ASC) AS rank FROM ({values}) "
            "GROUP BY facet, value) WHERE rank <= ?")


def after_sql(search_after: list[Any] | None) -> tuple[str, list[Any]]:
    """Rows strictly after the sort key ``[score, document_id, page]`` (score descending)."""
    if search_after is None:
        return "1", []
    score, doc, page = search_after
    return (
        "(score < ? OR (score = ? AND (document_id > ? OR (document_id = ? AND page > ?))))",
        [score, score, doc, doc, page],
    )
