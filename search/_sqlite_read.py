"""Searches of the embedded index: stages scanned newest first, the few hits joined last.

Hits are ordered by ``score`` (descending) then ``document_id`` and ``page``, the order
``search_after`` continues. A hit's score is ``base(stage) + x`` with ``x`` in [0, 1): its
stage's base (names 12, phrase 10, people 8, near 6, body 4, rest 2) and, inside the stage,
the Python re-rank score when the stage holds at most ``POOL`` pages, else its row id
scaled below 1 (newer first). So a cursor says which stage it is in and where.

Totals count matching pages up to ``COUNT_CAP``; beyond, the answer says
``total_is_capped`` (the UI shows "1 000+") and facets count the newest ``FACET_CAP``
matching pages. A quoted phrase of three words or more is checked on the page text; for
those queries the total counts what was checked (at most ``VERIFY_CAP`` pages).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any, NamedTuple

from search import _sqlite_sql as sql
from search._sqlite_plan import STAGES, Plan, plan
from search._sqlite_rank import PageView, holds_phrases, score
from search._sqlite_tokens import review_tag, tag
from search.base import (
    FACET_CAP,
    TOTAL_CAP,
    FacetBucket,
    SearchFilters,
    SearchHit,
    SearchQuery,
    SearchResult,
    top_buckets,
)
from search.query import ParsedQuery, parse_query, validate_paging
from search.snippets import make_snippet
from sohoa.core.vocab import SearchFacet, SearchSort

POOL = 50  # a stage of at most this many pages is re-ranked on the text
COUNT_CAP = TOTAL_CAP
VERIFY_CAP = 250  # candidates of a quoted 3+ word phrase read for its total (each one decompressed)
BATCH = 256
ROWID_SCALE = float(1 << 47)  # document keys below 2**31: row ids below 2**47
FACET_COLUMNS = ("r.doc_type", "d.agency_code", "d.procedure_code", "substr(r.issue_date, 1, 4)", "d.status",
                 "CASE WHEN p.needs_review THEN 'true' ELSE 'false' END")
# Who and what a page is, from its record (``SearchHit`` fields, in this order)
SUMMARY_COLUMNS = ("r.record_id", "r.owner_name", "r.doc_type", "r.doc_number", "r.issue_date")
Row = tuple[float, str, int, int]  # score, document_id, page, row id


class _Page(NamedTuple):
    text: str
    names: list[str]  # of the page's record
    document_id: str
    filename: str | None
    summary: dict[str, Any]  # ``SearchHit`` who-and-what fields


def _summary(row: tuple[Any, ...] | list[Any]) -> dict[str, Any]:
    """``SUMMARY_COLUMNS`` values as ``SearchHit`` keyword arguments."""
    record_id, owner_name, doc_type, doc_number, issued = row
    return {"record_id": record_id, "owner_name": owner_name, "doc_type": doc_type, "doc_number": doc_number,
            "issue_date": date.fromisoformat(issued) if issued else None}


def base(stage: str) -> float:
    return 2.0 * (len(STAGES) - STAGES.index(stage))


def filter_tags(filters: SearchFilters | None) -> list[str]:
    """The equality filters as FTS5 tags (``_sqlite_tokens.doc_tags`` makes the same)."""
    f = filters or SearchFilters()
    tags = [tag(key, value) for key, value in (
        ("b", f.batch_id), ("o", f.owner_id), ("a", f.agency_code), ("p", f.procedure_code), ("s", f.status),
        ("t", f.doc_type), ("y", f.issue_year)) if value is not None]
    if f.needs_review is not None:
        tags.append(review_tag(f.needs_review))
    return tags


def search(conn: sqlite3.Connection, version: int, query: SearchQuery, zdict: bytes) -> SearchResult:
    parsed = parse_query(query.q)
    after = validate_paging(query)
    offset = 0 if after is not None else (query.page - 1) * query.size
    if parsed.match_all:
        return _Listing(conn, version, query.filters, zdict).result(query, after, offset)
    runner = _Runner(conn, version, query.filters, zdict, parsed)
    if query.sort == SearchSort.ISSUE_DATE:
        rows = runner.by_issue_date(COUNT_CAP)[offset:offset + query.size]
    else:
        rows = runner.top(offset + query.size, after, skip=offset)[offset:]
    total, capped = runner.total()
    hits = runner.hits(rows, with_sort=query.sort == SearchSort.RELEVANCE)
    return SearchResult(total=total, hits=hits, total_is_capped=capped,
                        facets=runner.facets() if query.facets else None)


def count(conn: sqlite3.Connection, version: int, filters: SearchFilters | None) -> int:
    where, params = sql.filter_sql(filters, version)
    return int(conn.execute(f"SELECT count(*) {_listing_source(version)} WHERE {where}", params).fetchone()[0])


def _listing_source(version: int) -> str:
    """Every page ``p`` of every document ``d``, with its record ``r``, in document order."""
    t = sql.tables(version)
    pages_of_doc = f"p.id BETWEEN d.k << {sql.PAGE_BITS} AND (d.k << {sql.PAGE_BITS}) | {sql.MAX_PAGE}"
    return f"FROM {t['docs']} d JOIN {t['pages']} p ON {pages_of_doc} JOIN {sql.record_of('p.id', version)}"


class _Runner:
    """One query against one version, inside the caller's read transaction."""

    def __init__(self, conn: sqlite3.Connection, version: int, filters: SearchFilters | None, zdict: bytes,
                 parsed: ParsedQuery) -> None:
        self.conn, self.zdict, self.parsed = conn, zdict, parsed
        self.verify_stopped = False  # the last long-phrase check stopped at its budget
        self.views: dict[int, PageView] = {}  # pages re-ranked: their snippets reuse the folded text
        self.checked: dict[int, bool] = {}  # long phrases checked on a page's text (stages, then the total)
        self.t = sql.tables(version)
        self.plan: Plan = plan(parsed, filter_tags(filters))
        ranges, self.range_params = sql.range_sql(filters)
        fts = self.t["fts"]
        self.source = sql.page_source(version)
        self.from_where = (f"FROM {fts} f{sql.scan_joins(filters, version)} WHERE f.{fts} MATCH ?"
                           + (f" AND {ranges}" if ranges else ""))

    # -- the engine ----------------------------------------------------------------------

    def _scan(self, match: str, limit: int, below: int | None = None) -> list[int]:
        """Row ids of ``match``, newest first, below ``below``; quoted long phrases checked."""
        if not self.plan.long_phrases:
            return self._ids(match, limit, below)
        out: list[int] = []
        for row_id in self._verified(match, below, budget=VERIFY_CAP + 2 * limit):
            out.append(row_id)
            if len(out) >= limit:
                break
        return out

    def _ids(self, match: str, limit: int, below: int | None) -> list[int]:
        cursor = "" if below is None else " AND f.rowid < ?"
        params = [match, *self.range_params, *([] if below is None else [below]), limit]
        return [r[0] for r in self.conn.execute(
            f"SELECT f.rowid {self.from_where}{cursor} ORDER BY f.rowid DESC LIMIT ?", params)]

    def _verified(self, match: str, below: int | None, budget: int | None = None) -> Iterator[int]:
        """Rows holding every long phrase on their text, reading at most ``budget`` rows."""
        read = 0
        while budget is None or read < budget:
            batch = self._ids(match, BATCH if budget is None else min(BATCH, budget - read), below)
            if not batch:
                return
            read += len(batch)
            unknown = [row_id for row_id in batch if row_id not in self.checked]
            pages = self._pages(unknown) if unknown else {}
            for row_id, page in pages.items():
                self.checked[row_id] = holds_phrases(page.text, page.names, self.plan.long_phrases)
            yield from (row_id for row_id in batch if self.checked[row_id])
            below = batch[-1]
        self.verify_stopped = True

    def _pages(self, row_ids: list[int]) -> dict[int, _Page]:
        """Text, record names, document, file name and record summary of pages (one query)."""
        rows = self.conn.execute(
            f"SELECT p.id, p.text, r.names, d.document_id, d.filename, {', '.join(SUMMARY_COLUMNS)} "
            f"FROM {self.source} WHERE p.id IN (SELECT value FROM json_each(?))", (json.dumps(row_ids),))
        return {r[0]: _Page(sql.decompress(r[1], self.zdict), json.loads(r[2]), r[3], r[4], _summary(r[5:]))
                for r in rows}

    # -- ranking -------------------------------------------------------------------------

    def top(self, need: int, after: list[Any] | None, skip: int = 0) -> list[Row]:
        """The first ``need`` hits (after the cursor ``after``), in order; of the first ``skip``
        (pages of results before the one asked for) only the number counts, so a small stage
        that ends before them is not re-ranked: page 50 costs about what page 1 does."""
        out: list[Row] = []
        cursor_base = None if after is None else float(int(after[0]))
        for stage in self.plan.stages:
            b = base(stage.name)
            if cursor_base is not None and b > cursor_base:
                continue  # the cursor is past this stage
            cursor = after if cursor_base == b else None
            probe = self._scan(stage.match, POOL + 1)
            if len(probe) <= POOL and cursor is None and len(out) + len(probe) <= skip:
                out += [(b, "", i & sql.MAX_PAGE, i) for i in probe]  # before the page asked for
            elif len(probe) <= POOL:
                out += [r for r in self._reranked(probe, b) if cursor is None or _after(r, cursor)]
            else:
                below = None if cursor is None else round((float(cursor[0]) - b) * ROWID_SCALE)
                want = need - len(out)
                ids = [i for i in probe if below is None or i < below][:want]
                if len(ids) < want:
                    ids = self._scan(stage.match, want, below)
                out += [(b + i / ROWID_SCALE, "", i & sql.MAX_PAGE, i) for i in ids]
                if len(ids) >= want:
                    break
            if len(out) >= need:
                break
        return out[:need]

    def _reranked(self, row_ids: list[int], b: float) -> list[Row]:
        pages = self._pages(row_ids)
        for row_id, page in pages.items():
            self.views[row_id] = PageView(page.text)
        rows = [(b + score(self.views[row_id], page.names, self.parsed), page.document_id, row_id & sql.MAX_PAGE,
                 row_id) for row_id, page in pages.items()]
        return sorted(rows, key=lambda r: (-r[0], r[1], r[2]))

    def by_issue_date(self, cap: int) -> list[Row]:
        """The first ``cap`` hits in relevance order, re-ordered newest issue date first,
        undated last (ties: relevance); the total is capped at the same number, so every
        page of the listing is in it."""
        rows = self.top(cap, None)
        days = dict(self.conn.execute(
            f"SELECT p.id, r.issue_date FROM {self.source} WHERE p.id IN (SELECT value FROM json_each(?))",
            (json.dumps([r[3] for r in rows]),)).fetchall())
        by_relevance = sorted(rows, key=lambda r: (-r[0], r[1], r[2]))
        dated = sorted((r for r in by_relevance if days.get(r[3])), key=lambda r: days[r[3]], reverse=True)
        return dated + [r for r in by_relevance if not days.get(r[3])]

    # -- totals, facets, hits --------------------------------------------------------------

    def total(self) -> tuple[int, bool]:
        if self.plan.long_phrases:
            self.verify_stopped = False
            n = sum(1 for _ in self._verified(self.plan.required, None, budget=VERIFY_CAP))
            return n, self.verify_stopped
        n = self.conn.execute(f"SELECT count(*) FROM (SELECT 1 {self.from_where} LIMIT ?)",
                              [self.plan.required, *self.range_params, COUNT_CAP + 1]).fetchone()[0]
        return min(n, COUNT_CAP), n > COUNT_CAP

    def facets(self) -> dict[str, list[FacetBucket]]:
        ids = self._scan(self.plan.required, VERIFY_CAP if self.plan.long_phrases else FACET_CAP)
        rows = self.conn.execute(
            f"SELECT {', '.join(FACET_COLUMNS)} FROM {self.source} WHERE p.id IN (SELECT value FROM json_each(?))",
            (json.dumps(ids),)).fetchall()
        return _count_facets(rows)

    def hits(self, rows: list[Row], *, with_sort: bool = True) -> list[SearchHit]:
        pages = self._pages([r[3] for r in rows])
        out = []
        for s, _, number, row_id in rows:
            page = pages[row_id]
            view = self.views.get(row_id)
            snippet = make_snippet(page.text, self.parsed, folded=view.lower_fold if view else None)
            out.append(SearchHit(document_id=page.document_id, page=number, score=s, snippet=snippet,
                                 filename=page.filename, sort=[s, page.document_id, number] if with_sort else None,
                                 **page.summary))
        return out


def _after(row: Row, cursor: list[Any]) -> bool:
    """Strictly after the cursor ``[score, document_id, page]`` in hit order."""
    return (-row[0], row[1], row[2]) > (-float(cursor[0]), str(cursor[1]), int(cursor[2]))


def _count_facets(rows: list[tuple[Any, ...]]) -> dict[str, list[FacetBucket]]:
    counts: dict[str, Counter[str]] = {facet.value: Counter() for facet in SearchFacet}
    names = ("doc_type", "agency_code", "procedure_code", "issue_year", "status", "needs_review")
    for row in rows:
        for name, value in zip(names, row, strict=True):
            if value is not None:
                counts[name][str(value)] += 1
    return {facet: top_buckets(dict(values)) for facet, values in counts.items()}


class _Listing:
    """An empty query: pages matching the filters, by document id and page."""

    def __init__(self, conn: sqlite3.Connection, version: int, filters: SearchFilters | None, zdict: bytes) -> None:
        self.conn, self.zdict = conn, zdict
        self.where, self.params = sql.filter_sql(filters, version)
        self.source = _listing_source(version)

    def result(self, query: SearchQuery, after: list[Any] | None, offset: int) -> SearchResult:
        cursor, cursor_params = "", []
        if after is not None:
            cursor = f" AND (d.document_id > ? OR (d.document_id = ? AND (p.id & {sql.MAX_PAGE}) > ?))"
            cursor_params = [after[1], after[1], after[2]]
        by_date = query.sort == SearchSort.ISSUE_DATE
        order = "r.issue_date IS NULL, r.issue_date DESC, d.document_id, p.id" if by_date else "d.document_id, p.id"
        rows = self.conn.execute(
            f"SELECT p.id, p.text, d.document_id, d.filename, {', '.join(SUMMARY_COLUMNS)} {self.source} "
            f"WHERE {self.where}{cursor} ORDER BY {order} LIMIT ? OFFSET ?",
            [*self.params, *cursor_params, query.size, offset]).fetchall()
        empty = parse_query("")
        hits = [SearchHit(document_id=doc, page=row_id & sql.MAX_PAGE, score=0.0, filename=filename,
                          snippet=make_snippet(sql.decompress(blob, self.zdict), empty),
                          sort=None if by_date else [0.0, doc, row_id & sql.MAX_PAGE], **_summary(summary))
                for row_id, blob, doc, filename, *summary in rows]
        n = self.conn.execute(f"SELECT count(*) FROM (SELECT 1 {self.source} WHERE {self.where} LIMIT ?)",
                              [*self.params, COUNT_CAP + 1]).fetchone()[0]
        facets = None
        if query.facets:
            facets = _count_facets(self.conn.execute(
                f"SELECT {', '.join(FACET_COLUMNS)} {self.source} WHERE {self.where} LIMIT ?",
                [*self.params, FACET_CAP]).fetchall())
        return SearchResult(total=min(n, COUNT_CAP), hits=hits, facets=facets, total_is_capped=n > COUNT_CAP)
