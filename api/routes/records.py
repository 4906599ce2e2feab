"""Reusable records: lookup by ID valid on a day (portals, officers), corrections (officers).

Every request that reads personal data leaves exactly one audit event, with the caller's
purpose; a portal must send one (``X-Purpose`` or ``purpose``, a dossier code).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic_core import to_json
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.deps import Caller, OfficerCaller, ReaderCaller, ServicesDep, SessionDep, run_read
from api.lean_route import LeanRoute
from api.params import IsoDate, owner_id_query
from api.records_view import RecordContext, candidates_of_records, record_json, record_public
from api.schemas_records import CorrectionPublic, HistoryPublic, RecordListPublic, RecordPatch, RecordPublic
from sohoa.core.clock import today_vn
from sohoa.core.errors import BadRequest, Forbidden, NotFound
from sohoa.core.models import ExtractedFieldRow, RecordCorrection
from sohoa.core.vocab import Role
from sohoa.domain import audit
from sohoa.domain.records import apply_changes, find_record, lookup_rows, parse_owner_id, served_to_portals
from sohoa.services import Services
from workers.jobs.indexing import index_document

router = APIRouter(prefix="/api/v1/records", tags=["records"])


async def list_records(
    request: Request,
    caller: ReaderCaller,
    owner_id: Annotated[str | None, owner_id_query("Personal ID, ID card or enterprise code")] = None,
    doc_type: Annotated[str | None, Query(max_length=64)] = None,
    procedure_code: Annotated[str | None, Query(max_length=64)] = None,
    valid_on: Annotated[IsoDate | None, Query(description="Default: today in Asia/Ho_Chi_Minh")] = None,
    include_invalid: Annotated[bool, Query(description="Officers: also the records NOT valid that day, each "
                                                       "with `valid` false and its `validity_reason` (an "
                                                       "expired one says past_end and its valid_until)")] = False,
    document_id: Annotated[str | None, Query(max_length=64, description="Officers: the records read from "
                                                                        "this document")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    # ``async`` (no docstring: it would become the operation's description): the reads run
    # where they cost least (``run_read``: on SQLite no thread hop), the wait for the audit
    # log holds no thread. No ``SessionDep`` nor ``ServicesDep`` (a ``LeanRoute`` takes the
    # caller and query parameters only): the services from the app, one read connection. The
    # answer is ``RecordListPublic``'s JSON made from what the lookup read, not validated
    # again (``record_json``); the spec still says ``RecordListPublic``.
    services: Services = request.app.state.services
    asked = parse_owner_id(owner_id) if owner_id is not None else None
    if caller.role == Role.PORTAL and asked is None:
        raise BadRequest("portals look records up by owner_id", code="owner_id_required")
    if caller.role == Role.PORTAL and (include_invalid or document_id is not None):
        raise Forbidden("portals see the records valid on a day, by owner_id", code="forbidden",
                        detail={"parameters": ["include_invalid", "document_id"]})
    day = valid_on or today_vn()
    query = LookupQuery(owner_id=asked, doc_type=doc_type, procedure_code=procedure_code, day=day,
                        include_invalid=include_invalid, document_id=document_id, limit=limit)
    records = await run_read(services, _lookup, services, caller, query)
    # Answered only once the event is committed, by the process's group-commit writer.
    await services.audit.write_async(audit.event_values(
        caller.principal, "record.lookup", target_type="record", owner_id=asked, purpose=caller.purpose,
        result_count=len(records), detail={"doc_type": doc_type, "procedure_code": procedure_code,
                                           "valid_on": day.isoformat(), "include_invalid": include_invalid,
                                           "document_id": document_id, "record_ids": [r["id"] for r in records]}))
    return Response(to_json({"valid_on": day, "total": len(records), "records": records}),
                    media_type="application/json")


# The most frequent request: its caller and parameters read by ``LeanRoute`` in one step
# each, not by FastAPI's dependency solving (the spec is still built from the signature).
router.add_api_route("", list_records, methods=["GET"], response_model=RecordListPublic,
                     summary="Records valid on a day, by owner ID", route_class_override=LeanRoute)


@dataclass(frozen=True)
class LookupQuery:
    owner_id: str | None
    doc_type: str | None
    procedure_code: str | None
    day: date
    include_invalid: bool
    document_id: str | None
    limit: int


def _lookup(services: Services, caller: Caller, query: LookupQuery) -> list[dict[str, Any]]:
    """The records' JSON (``record_json``), read on one connection outside a transaction
    (``Services.reads``), back to the pool before the audit wait."""
    with services.reads.connect() as conn:
        records = lookup_rows(conn, owner_id=query.owner_id, doc_type=query.doc_type,
                              procedure_code=query.procedure_code,
                              valid_on=None if query.include_invalid else query.day,
                              document_id=query.document_id, limit=query.limit)
        ctx = RecordContext(conn, records)  # its candidates and corrections serve the portal rule too
        if caller.role == Role.PORTAL:
            records = served_to_portals(conn, records, serve_unconfirmed=services.settings.portal_serves_unconfirmed,
                                        known=ctx)
        return [record_json(r, caller, ctx, day=query.day, asked=query.owner_id) for r in records]


@router.get("/{record_id}", response_model=RecordPublic, summary="One record with its fields")
def get_record(
    record_id: str,
    caller: ReaderCaller,
    session: SessionDep,
    services: ServicesDep,
    owner_id: Annotated[str | None, owner_id_query("The ID the portal asks about")] = None,
    valid_on: IsoDate | None = None,
) -> RecordPublic:
    record = find_record(session, record_id)
    if caller.role == Role.PORTAL and not served_to_portals(
            session, [record], serve_unconfirmed=services.settings.portal_serves_unconfirmed):
        raise NotFound(f"no record with id {record_id}", detail={"record_id": record_id})
    asked = parse_owner_id(owner_id) if owner_id is not None else None
    candidates = None
    if caller.role != "portal":
        candidates = list(session.scalars(select(ExtractedFieldRow).where(
            candidates_of_records([record])).order_by(ExtractedFieldRow.id)))
    body = record_public(record, caller, RecordContext(session, [record]), day=valid_on or today_vn(),
                         asked=asked, candidates=candidates)
    audit.record(session, caller.principal, "record.read", target_type="record", target_id=record.id,
                 owner_id=record.owner_id, purpose=caller.purpose, result_count=1)
    session.commit()
    return body


@router.patch("/{record_id}", response_model=RecordPublic, summary="Confirm or correct fields, set legal status")
async def patch_record(record_id: str, patch: RecordPatch, caller: OfficerCaller, session: SessionDep,
                       services: ServicesDep) -> RecordPublic:
    body, document_id = await run_in_threadpool(_apply_patch, session, record_id, patch, caller)
    # the index carries validity and owner facets
    await run_in_threadpool(index_document, services, document_id)
    return body


def _apply_patch(session: Session, record_id: str, patch: RecordPatch, caller: Caller) -> tuple[RecordPublic, str]:
    if not patch.fields and not patch.confirm and patch.legal_status is None:
        raise BadRequest("nothing to change: send fields, confirm or legal_status", code="empty_patch")
    record = find_record(session, record_id)
    replaced_by = find_record(session, patch.replaced_by) if patch.replaced_by else None
    rows = apply_changes(record, caller.principal, changes=patch.fields, confirm=patch.confirm,
                         legal_status=patch.legal_status, replaced_by=replaced_by, note=patch.note)
    session.add_all(rows)
    audit.record(session, caller.principal, "record.correct", target_type="record", target_id=record.id,
                 owner_id=record.owner_id, purpose=caller.purpose, result_count=1,
                 detail={"changed": [r.field for r in rows]})
    session.commit()
    body = record_public(record, caller, RecordContext(session, [record]), day=today_vn())
    return body, record.document_id


@router.get("/{record_id}/history", response_model=HistoryPublic, summary="Who confirmed or corrected what")
def record_history(record_id: str, caller: OfficerCaller, session: SessionDep) -> HistoryPublic:
    record = find_record(session, record_id)
    rows = session.scalars(select(RecordCorrection).where(RecordCorrection.record_id == record.id)
                           .order_by(RecordCorrection.id))
    body = HistoryPublic(record_id=record.id, corrections=[
        CorrectionPublic(field=r.field, old_value=r.old_value, new_value=r.new_value, key_id=r.key_id,
                         user_id=r.user_id, at=r.at, note=r.note) for r in rows])
    audit.record(session, caller.principal, "record.history", target_type="record", target_id=record.id,
                 owner_id=record.owner_id, purpose=caller.purpose, result_count=len(body.corrections))
    session.commit()
    return body
