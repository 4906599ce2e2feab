"""The review queue (officers): read documents whose record no officer confirmed yet, or
whose pages read below the OCR confidence threshold, oldest upload first, with what a
reviewer needs to open each (the page to show, the record, its key fields and how sure
the OCR was of them). Confirming the record (``PATCH /records/{id}``) takes it out.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from api.access import filters_detail
from api.deps import Caller, OfficerCaller, SessionDep
from api.records_view import RecordContext, field_summary
from api.schemas_lists import FlaggedPagePublic, ReviewItemPublic, ReviewLinks, ReviewListPublic
from api.schemas_records import PageRange
from sohoa.core.vocab import ReviewReason
from sohoa.domain import audit
from sohoa.domain.catalog import MAX_PAGE_SIZE, Paging, ReviewFilters, ReviewItem, review_queue
from sohoa.domain.scope import Scope

router = APIRouter(prefix="/api/v1/review", tags=["review"])


@router.get("", response_model=ReviewListPublic, summary="Documents waiting for an officer, oldest first")
def list_review(
    caller: OfficerCaller,
    session: SessionDep,
    agency_code: Annotated[str | None, Query(max_length=64)] = None,
    batch_id: Annotated[str | None, Query(max_length=64)] = None,
    reason: Annotated[ReviewReason | None, Query(description="Only low_confidence pages, or only unconfirmed "
                                                             "records; both by default")] = None,
    uploaded_from: Annotated[date | None, Query(description="Vietnam calendar day, inclusive")] = None,
    uploaded_to: Annotated[date | None, Query(description="Vietnam calendar day, inclusive")] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> ReviewListPublic:
    """Scoped to the caller's agency when its key has one. Shows owners' names and IDs:
    one audit event per call."""
    filters = ReviewFilters(agency_code=agency_code, batch_id=batch_id, reason=reason,
                            uploaded_from=uploaded_from, uploaded_to=uploaded_to)
    found = review_queue(session, filters, Paging(page, size), Scope.of(caller.principal))
    ctx = RecordContext(session, [i.record for i in found.items if i.record is not None])
    items = [_item(i, caller, ctx) for i in found.items]
    audit.record(session, caller.principal, "review.list", target_type="document", purpose=caller.purpose,
                 result_count=len(items), detail={"filters": filters_detail(filters),
                                                  "document_ids": [i.document_id for i in items]})
    session.commit()
    return ReviewListPublic(total=found.total, page=page, size=size, items=items)


def _item(item: ReviewItem, caller: Caller, ctx: RecordContext) -> ReviewItemPublic:
    d, r, part = item.document, item.record, item.part
    open_page = item.pages[0].number if item.pages else (part.first_page if part else 1)
    base = f"/api/v1/documents/{d.id}"
    return ReviewItemPublic(
        document_id=d.id, filename=d.filename, agency_code=d.agency_code, procedure_code=d.procedure_code,
        batch_id=d.first_batch_id, uploaded_at=d.created_at, reasons=[str(x) for x in item.reasons],
        pages=[FlaggedPagePublic(number=p.number, confidence=p.confidence) for p in item.pages],
        open_page=open_page, record_id=r.id if r else None, review_state=r.review_state if r else None,
        part_id=part.id if part else None,
        part_pages=PageRange(first=part.first_page, last=part.last_page) if part else None,
        fields=field_summary(r, caller, ctx) if r else {},
        links=ReviewLinks(document=base, image=f"{base}/pages/{open_page}/image",
                          record=f"/api/v1/records/{r.id}" if r else None),
    )
