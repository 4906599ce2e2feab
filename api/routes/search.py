"""Full-text search over page text (officers), through whichever backend the settings pick."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.deps import Caller, OfficerCaller, ServicesDep, SessionDep
from api.params import IsoDate, owner_id_query
from api.parts_view import page_parts, part_of_page
from api.schemas import FacetBucketPublic, PartRefPublic, SearchHitPublic, SearchResultPublic
from search import SearchBackend, SearchFilters, SearchHit, SearchQuery, SearchResult
from search.query import parse_sort_key
from sohoa.core.errors import BadRequest, InvalidQuery, ServiceUnavailable, SohoaError
from sohoa.core.vocab import DocumentStatus, SearchSort
from sohoa.domain import audit
from sohoa.domain.records import RecordSummary, parse_owner_id, record_summaries, summary_of_page

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["search"])

MAX_PAGE = 500  # deeper than 50,000 hits is never a person reading results
MAX_CURSOR_CHARS = 512


def encode_cursor(sort: list[Any] | None) -> str | None:
    """A hit's sort key as an opaque token (base64url of its JSON)."""
    if sort is None:
        return None
    raw = json.dumps(sort, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(token: str) -> list[Any]:
    """The sort key inside a token from ``encode_cursor``; 400 ``invalid_cursor`` for
    anything else (a cursor only says where to continue, so a forged one reaches nothing
    a search could not)."""
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
        return parse_sort_key(json.loads(raw.decode("utf-8")))
    except (binascii.Error, UnicodeDecodeError, ValueError, InvalidQuery) as exc:
        raise BadRequest("search_after must be the next_search_after (or a hit's search_after) of an earlier "
                         "answer to the same search", code="invalid_cursor",
                         detail={"search_after": token[:64]}) from exc


def run_search(backend: SearchBackend, query: SearchQuery) -> SearchResult:
    """A failure of the engine itself is a 503; a bad query stays the backend's 400."""
    try:
        return backend.search(query)
    except SohoaError:
        raise
    except Exception as exc:
        log.exception("search backend failed")
        raise ServiceUnavailable("the search service is unavailable", code="search_unavailable") from exc


@router.get("/search", response_model=SearchResultPublic, summary="Search page text")
async def search(
    caller: OfficerCaller,
    session: SessionDep,
    services: ServicesDep,
    q: Annotated[str, Query(min_length=1, max_length=500, description="Words, \"a phrase\"; diacritics optional")],
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
    batch_id: Annotated[str | None, Query(max_length=64)] = None,
    agency_code: Annotated[str | None, Query(max_length=64)] = None,
    procedure_code: Annotated[str | None, Query(max_length=64)] = None,
    uploaded_from: IsoDate | None = None,
    uploaded_to: IsoDate | None = None,
    status: DocumentStatus | None = None,
    owner_id: Annotated[str | None, owner_id_query("Owner or subject ID of the record")] = None,
    doc_type: Annotated[str | None, Query(max_length=64)] = None,
    valid_on: Annotated[IsoDate | None, Query(description="Only records valid that day")] = None,
    issue_year: Annotated[int | None, Query(ge=1, le=9999, description="Records issued that year")] = None,
    issued_from: Annotated[IsoDate | None, Query(description="Records issued on or after that day")] = None,
    issued_to: Annotated[IsoDate | None, Query(description="Records issued on or before that day")] = None,
    needs_review: Annotated[bool | None, Query(description="Pages below the OCR confidence threshold "
                                                           "(true) or not (false)")] = None,
    facets: Annotated[bool, Query(description="Also count all matching pages by doc_type, agency_code, "
                                              "procedure_code, issue_year, status and needs_review")] = False,
    search_after: Annotated[str | None, Query(min_length=1, max_length=MAX_CURSOR_CHARS, description="Deep paging: the "
                                              "next_search_after of the previous answer (then page stays 1)")] = None,
    sort: Annotated[SearchSort, Query(description="relevance (default), or issue_date: newest issue date "
                                                  "first, pages without one last (paged by page only)")]
    = SearchSort.RELEVANCE,
) -> SearchResultPublic:
    for low, high, names in ((uploaded_from, uploaded_to, "uploaded"), (issued_from, issued_to, "issued")):
        if low and high and low > high:
            raise BadRequest(f"{names}_from is after {names}_to", code="invalid_date_range")
    if search_after is not None and page != 1:
        raise BadRequest("use page or search_after, not both", code="invalid_cursor")
    after = decode_cursor(search_after) if search_after is not None else None
    owner = parse_owner_id(owner_id) if owner_id is not None else None
    filters = SearchFilters(batch_id=batch_id, agency_code=agency_code, procedure_code=procedure_code,
                            uploaded_from=uploaded_from, uploaded_to=uploaded_to, status=status,
                            owner_id=owner, doc_type=doc_type, valid_on=valid_on, issue_year=issue_year,
                            issued_from=issued_from, issued_to=issued_to, needs_review=needs_review)
    query = SearchQuery(q=q, filters=filters, page=page, size=size, search_after=after, facets=facets, sort=sort)
    result = await run_in_threadpool(run_search, services.search, query)
    ids = [h.document_id for h in result.hits]
    parts = await run_in_threadpool(page_parts, session, ids)
    records = await run_in_threadpool(record_summaries, session, ids)
    hits = [_hit(h, part_of_page(parts.get(h.document_id), h.page), records) for h in result.hits]
    await run_in_threadpool(_audit_search, session, caller, q, result.total, owner)
    return SearchResultPublic(
        total=result.total, total_is_capped=result.total_is_capped, page=page, size=size, hits=hits,
        next_search_after=hits[-1].search_after if len(hits) == size else None,
        facets=None if result.facets is None else {
            name: [FacetBucketPublic(value=b.value, count=b.count) for b in buckets]
            for name, buckets in result.facets.items()})


def _hit(hit: SearchHit, part: PartRefPublic | None, records: dict[str, RecordSummary]) -> SearchHitPublic:
    record = summary_of_page(records, hit.document_id, part.record_id if part else None)
    summary = {} if record is None else {
        "record_id": record.record_id, "owner_name": record.owner_name, "doc_type": record.doc_type,
        "doc_number": record.doc_number, "issue_date": record.issue_date, "issuing_body": record.issuing_body}
    return SearchHitPublic(document_id=hit.document_id, page=hit.page, score=hit.score, snippet=hit.snippet,
                           filename=hit.filename, search_after=encode_cursor(hit.sort), part=part,
                           thumbnail=f"/api/v1/documents/{hit.document_id}/pages/{hit.page}/image?size=thumb",
                           **summary)


def _audit_search(session: Session, caller: Caller, q: str, total: int, owner: str | None) -> None:
    """Search results show page text: a read of personal data, logged like any other."""
    audit.record(
        session, caller.principal, "search", owner_id=owner, purpose=caller.purpose, result_count=total, detail={"q": q}
    )
    session.commit()
