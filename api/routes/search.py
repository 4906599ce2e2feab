"""Full-text search over page text (officers), through whichever backend the settings pick."""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.deps import Caller, OfficerCaller, ServicesDep, SessionDep
from api.schemas import SearchHitPublic, SearchResultPublic
from search import SearchBackend, SearchFilters, SearchQuery, SearchResult
from sohoa.core.errors import BadRequest, ServiceUnavailable, SohoaError
from sohoa.core.vocab import DocumentStatus
from sohoa.domain import audit
from sohoa.domain.records import parse_owner_id

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["search"])

MAX_PAGE = 500  # deeper than 50,000 hits is never a person reading results


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
    uploaded_from: date | None = None,
    uploaded_to: date | None = None,
    status: DocumentStatus | None = None,
    owner_id: Annotated[str | None, Query(max_length=40, description="Owner or subject ID of the record")] = None,
    doc_type: Annotated[str | None, Query(max_length=64)] = None,
    valid_on: Annotated[date | None, Query(description="Only records valid that day")] = None,
) -> SearchResultPublic:
    if uploaded_from and uploaded_to and uploaded_from > uploaded_to:
        raise BadRequest("uploaded_from is after uploaded_to", code="invalid_date_range")
    owner = parse_owner_id(owner_id) if owner_id is not None else None
    filters = SearchFilters(batch_id=batch_id, agency_code=agency_code, procedure_code=procedure_code,
                            uploaded_from=uploaded_from, uploaded_to=uploaded_to, status=status,
                            owner_id=owner, doc_type=doc_type, valid_on=valid_on)
    result = await run_in_threadpool(
        run_search, services.search, SearchQuery(q=q, filters=filters, page=page, size=size)
    )
    hits = [
        SearchHitPublic(document_id=h.document_id, page=h.page, score=h.score, snippet=h.snippet, filename=h.filename)
        for h in result.hits
    ]
    await run_in_threadpool(_audit_search, session, caller, q, result.total, owner)
    return SearchResultPublic(total=result.total, page=page, size=size, hits=hits)


def _audit_search(session: Session, caller: Caller, q: str, total: int, owner: str | None) -> None:
    """Search results show page text: a read of personal data, logged like any other."""
    audit.record(
        session, caller.key, "search", owner_id=owner, purpose=caller.purpose, result_count=total, detail={"q": q}
    )
    session.commit()
