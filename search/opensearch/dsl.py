"""Turning a parsed user query and filters into an OpenSearch request, and hits back.

Same semantics as the SQLite backend (pinned by the conformance suite): every term is
required, folded, on the page text or the record's names (a phrase as a phrase), without
scoring; the score comes from optional clauses that state the ranking rules: all the words
together in a person's name of the record (``names``; more when that name is the whole
query, ``whole_names``), then together in the page's body
(the text without boilerplate, ``body``), then all of them in the record's names, then two
of them side by side (three words or more), then within a small window (``match_phrase``
with slop), then each word in the body, its exact diacritics boosted. Words found only in the
motto or headers add nothing. User words are only ever values inside
``match``/``match_phrase``, never query-string syntax.
"""

from __future__ import annotations

import html
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from search.base import FACET_SIZE, TOTAL_CAP, FacetBucket, SearchFilters, SearchHit, top_buckets
from search.query import ParsedQuery
from sohoa.core.clock import VN_UTC_OFFSET
from sohoa.core.vocab import SearchFacet

EXACT_BOOST = 3.0
# Constant scores, each above the sum of every one below it plus what word clauses add
# (bm25, a few points each): the rules' order holds whatever the words' frequencies, as
# the SQLite stages (names, phrase, people, near, body, rest) make it.
NAME_BOOST, PHRASE_BOOST, PEOPLE_BOOST, NEAR_BOOST, WINDOW_BOOST = 10000.0, 3000.0, 1000.0, 300.0, 100.0
WHOLE_NAME_BOOST = 5000.0  # inside the names tier: the whole name is the query
WINDOW_SLOP = 4  # "within a small window": words moved by at most this many positions in all
SNIPPET_CHARS = 240
SORT = [{"_score": "desc"}, {"document_id": "asc"}, {"page": "asc"}]
SORT_BY_ISSUE_DATE = [{"issue_date": {"order": "desc", "missing": "_last"}}, *SORT]
MARK, UNMARK = "<mark>", "</mark>"
HIT_RECORD_FIELDS = ("record_id", "owner_name", "doc_type", "doc_number", "issue_date")  # who and what


def text_query(parsed: ParsedQuery) -> dict[str, Any]:
    if parsed.match_all:
        return {"match_all": {}}
    words = [w for term in parsed.terms for w in term.folded]
    query = " ".join(words)
    should: list[dict[str, Any]] = [_constant({"match_phrase": {"names": query}}, NAME_BOOST),
                                    _constant({"term": {"whole_names": query}}, WHOLE_NAME_BOOST)]
    if len(words) > 1:
        should += [_constant({"match_phrase": {"body": query}}, PHRASE_BOOST),
                   _constant({"match": {"names": {"query": query, "operator": "and"}}}, PEOPLE_BOOST),
                   _constant({"match_phrase": {"body": {"query": query, "slop": WINDOW_SLOP}}}, WINDOW_BOOST)]
    if len(words) > 2:  # some two of the words side by side, in order (the SQLite "near" stage)
        pairs = dict.fromkeys(f"{a} {b}" for a, b in pairwise(words))
        should.append(_constant({"bool": {"should": [{"match_phrase": {"body": p}} for p in pairs]}}, NEAR_BOOST))
    for term in parsed.terms:
        should += [_term_clause("body", term.folded), _term_clause("body.exact", term.exact, EXACT_BOOST),
                   _term_clause("names.exact", term.exact, EXACT_BOOST)]
    return {"bool": {"filter": [_anywhere(term.folded) for term in parsed.terms], "should": should}}


def highlight_query(parsed: ParsedQuery) -> dict[str, Any] | None:
    """The words to mark in the page text (all of it, the motto included)."""
    if parsed.match_all:
        return None
    return {"bool": {"should": [_term_clause("text", term.folded) for term in parsed.terms]}}


def _anywhere(words: tuple[str, ...]) -> dict[str, Any]:
    """A required term: on the page (folded) or in the record's names, not scored."""
    kind = "phrase" if len(words) > 1 else "best_fields"
    return {"multi_match": {"query": " ".join(words), "type": kind, "fields": ["text", "names"]}}


def _constant(query: dict[str, Any], boost: float) -> dict[str, Any]:
    return {"constant_score": {"filter": query, "boost": boost}}


def _term_clause(field: str, words: tuple[str, ...], boost: float = 1.0) -> dict[str, Any]:
    kind = "match_phrase" if len(words) > 1 else "match"
    return {kind: {field: {"query": " ".join(words), "boost": boost}}}


def filter_clauses(filters: SearchFilters | None) -> list[dict[str, Any]]:
    """Filters as non-scoring clauses; keyword fields are matched exactly."""
    f = filters or SearchFilters()
    out: list[dict[str, Any]] = []
    for field, value in (
        ("batch_ids", f.batch_id), ("owner_ids", f.owner_id), ("agency_code", f.agency_code),
        ("procedure_code", f.procedure_code), ("status", f.status), ("doc_type", f.doc_type),
    ):
        if value is not None:
            out.append({"term": {field: value}})
    uploaded: dict[str, str] = {}
    if f.uploaded_from is not None:
        uploaded["gte"] = _local_midnight(f.uploaded_from)
    if f.uploaded_to is not None and f.uploaded_to < date.max:  # 9999-12-31 bounds nothing
        uploaded["lt"] = _local_midnight(f.uploaded_to + timedelta(days=1))
    if uploaded:
        out.append({"range": {"uploaded_at": uploaded}})
    if f.valid_on is not None:
        out.extend(_valid_on(f.valid_on))
    if f.issue_year is not None:
        year = {"gte": f"{f.issue_year:04d}-01-01", "lte": f"{f.issue_year:04d}-12-31"}
        out.append({"range": {"issue_date": year}})
    issued = {bound: day.isoformat() for bound, day in (("gte", f.issued_from), ("lte", f.issued_to)) if day}
    if issued:
        out.append({"range": {"issue_date": issued}})
    if f.needs_review is not None:
        out.append({"term": {"needs_review": f.needs_review}})
    return out


def facet_aggs() -> dict[str, Any]:
    """Standard aggregations, one per ``SearchFacet``: ``terms`` on keyword and boolean
    fields, a yearly ``date_histogram`` on the issue date (all years: the top ones are cut
    after sorting like the other facets)."""
    aggs: dict[str, Any] = {name: {"terms": {"field": name, "size": FACET_SIZE}}
                            for name in ("doc_type", "agency_code", "procedure_code", "status")}
    aggs["needs_review"] = {"terms": {"field": "needs_review", "size": 2}}
    aggs["issue_year"] = {"date_histogram": {"field": "issue_date", "calendar_interval": "year",
                                             "format": "yyyy", "min_doc_count": 1}}
    return aggs


def to_facets(aggregations: dict[str, Any]) -> dict[str, list[FacetBucket]]:
    """Buckets of ``facet_aggs`` as the backends share them (``search.base.top_buckets``)."""
    out: dict[str, list[FacetBucket]] = {}
    for facet in SearchFacet:
        buckets = aggregations.get(facet.value, {}).get("buckets", [])
        out[facet.value] = top_buckets({str(b.get("key_as_string", b["key"])): int(b["doc_count"]) for b in buckets})
    return out


def _local_midnight(day: date) -> str:
    return f"{day.isoformat()}T00:00:00{VN_UTC_OFFSET}"


def _valid_on(day: date) -> list[dict[str, Any]]:
    """valid_from unknown or ≤ day, and permanent or valid_until ≥ day."""
    d = day.isoformat()
    return [
        {"bool": {"should": [
            {"bool": {"must_not": [{"exists": {"field": "valid_from"}}]}},
            {"range": {"valid_from": {"lte": d}}},
        ], "minimum_should_match": 1}},
        {"bool": {"should": [
            {"term": {"permanent": True}},
            {"range": {"valid_until": {"gte": d}}},
        ], "minimum_should_match": 1}},
    ]


def search_body(
    parsed: ParsedQuery,
    filters: SearchFilters | None,
    *,
    size: int,
    offset: int,
    search_after: list[Any] | None,
    facets: bool = False,
    by_issue_date: bool = False,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "query": {"bool": {"must": [text_query(parsed)], "filter": filter_clauses(filters)}},
        "sort": SORT_BY_ISSUE_DATE if by_issue_date else SORT,
        "size": size,
        "track_total_hits": TOTAL_CAP,  # counted up to the cap, like the SQLite backend
        "_source": ["document_id", "page", "filename", *HIT_RECORD_FIELDS],
    }
    if by_issue_date:
        body["track_scores"] = True  # a score also when the first sort key is not _score
    if search_after is None:
        body["from"] = offset
    else:  # a hit's ``sort`` as the engine printed it: its float32 score parses back exactly
        body["search_after"] = search_after
    if facets:
        body["aggs"] = facet_aggs()
    body["highlight"] = {  # no_match_size: a filter-only listing still shows the page start
        **({} if parsed.match_all else {"highlight_query": highlight_query(parsed)}),
        "pre_tags": [MARK],
        "post_tags": [UNMARK],
        "fields": {"text": {
            "type": "unified", "number_of_fragments": 1,
            "fragment_size": SNIPPET_CHARS, "no_match_size": SNIPPET_CHARS,
        }},
    }
    return body


def to_hit(raw: dict[str, Any]) -> SearchHit:
    source = raw.get("_source", {})
    fragments = raw.get("highlight", {}).get("text") or [""]
    sort = raw.get("sort")
    if sort is not None and len(sort) != len(SORT):  # another order: page paging only, no search_after key
        sort = None
    score = float(raw.get("_score") or (sort[0] if sort else 0.0) or 0.0)
    return SearchHit(
        document_id=source["document_id"],
        page=int(source["page"]),
        score=score,
        snippet=escape_fragment(fragments[0]),
        filename=source.get("filename"),
        sort=[float(sort[0]), sort[1], int(sort[2])] if sort else None,
        record_id=source.get("record_id"),
        owner_name=source.get("owner_name"),
        doc_type=source.get("doc_type"),
        doc_number=source.get("doc_number"),
        issue_date=date.fromisoformat(source["issue_date"]) if source.get("issue_date") else None,
    )


def escape_fragment(fragment: str) -> str:
    """HTML-escape the page text while keeping the engine's ``<mark>`` tags.

    The highlighter is asked for raw text (no ``html`` encoder, which also escapes ``/``
    and differs between engines); every piece between tags is escaped here instead, so
    text from a page can never become markup.
    """
    out: list[str] = []
    for i, outer in enumerate(fragment.split(MARK)):
        if i == 0:
            out.append(html.escape(outer))
            continue
        inner, _, rest = outer.partition(UNMARK)
        out.append(f"{MARK}{html.escape(inner)}{UNMARK}{html.escape(rest)}")
    return " ".join("".join(out).split())
