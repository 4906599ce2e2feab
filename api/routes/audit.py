"""The audit log for admins: query and export. There is no route that changes it: PUT,
PATCH and DELETE answer 405, and the API only ever inserts events.

Each event names who: ``user_id`` (a person) or ``key_id`` (a machine); filter by either.
``from`` is inclusive and ``to`` exclusive; a time without a zone is Vietnam time. Reading the log is itself logged
(``audit.query`` / ``audit.export``): who looked up a citizen's accesses is personal-data
processing too.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker

from api.deps import MAX_ROW_ID, AdminKey, SessionDep, SessionFactoryDep
from api.params import IsoDatetime
from api.schemas_records import AuditEventPublic, AuditPagePublic
from sohoa.core.clock import VN_TZ, as_utc
from sohoa.core.errors import BadRequest
from sohoa.core.models import AuditEvent
from sohoa.domain import audit
from sohoa.domain.principal import Principal
from sohoa.domain.records import normalize_id

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
# user_id last: the columns before it are where CSV readers written before people could sign in expect them.
COLUMNS = ("id", "at", "key_id", "role", "agency", "action", "target_type", "target_id", "owner_id",
           "purpose", "result_count", "detail", "user_id")


class AuditFilters:
    """The query parameters shared by query and export."""

    def __init__(
        self,
        owner_id: Annotated[str | None, Query(max_length=40)] = None,
        key_id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
        user_id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
        action: Annotated[str | None, Query(max_length=64)] = None,
        from_: Annotated[IsoDatetime | None, Query(alias="from", description="Inclusive; no zone = Vietnam")] = None,
        to: Annotated[IsoDatetime | None, Query(description="Exclusive; no zone = Vietnam")] = None,
    ) -> None:
        self.owner_id = normalize_id(owner_id) if owner_id else None
        self.key_id, self.user_id, self.action = key_id, user_id, action
        self.start = as_utc(from_, naive=VN_TZ, field="from") if from_ is not None else None
        self.end = as_utc(to, naive=VN_TZ, field="to") if to is not None else None
        if self.start and self.end and self.start > self.end:  # equal: an empty range, not a mistake
            raise BadRequest("from is after to", code="invalid_date_range")

    def apply(self, query: Select[AuditEvent]) -> Select[AuditEvent]:
        if self.owner_id:
            query = query.where(AuditEvent.owner_id == self.owner_id)
        if self.key_id is not None:
            query = query.where(AuditEvent.key_id == self.key_id)
        if self.user_id is not None:
            query = query.where(AuditEvent.user_id == self.user_id)
        if self.action:
            query = query.where(AuditEvent.action == self.action)
        if self.start:
            query = query.where(AuditEvent.at >= self.start)
        if self.end:
            query = query.where(AuditEvent.at < self.end)
        return query

    def as_dict(self) -> dict[str, object]:
        return {"owner_id": self.owner_id, "key_id": self.key_id, "user_id": self.user_id, "action": self.action,
                "from": self.start.isoformat() if self.start else None,
                "to": self.end.isoformat() if self.end else None}


def event_public(event: AuditEvent) -> AuditEventPublic:
    return AuditEventPublic.model_validate({c: getattr(event, c) for c in COLUMNS})


@router.get("", response_model=AuditPagePublic, summary="Audit events, newest first")
def query_audit(
    admin: AdminKey,
    session: SessionDep,
    filters: Annotated[AuditFilters, Depends()],
    before_id: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditPagePublic:
    query = filters.apply(select(AuditEvent))
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    events = list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit + 1)))
    more = len(events) > limit
    events = events[:limit]
    body = AuditPagePublic(events=[event_public(e) for e in events],
                           next_before_id=events[-1].id if more else None)
    audit.record(session, admin, "audit.query", owner_id=filters.owner_id, result_count=len(events),
                 detail=filters.as_dict())
    session.commit()
    return body


@router.get("/export", summary="Every matching event as CSV or JSON lines, oldest first (streamed)",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}})
def export_audit(
    admin: AdminKey,
    session: SessionDep,
    session_factory: SessionFactoryDep,
    filters: Annotated[AuditFilters, Depends()],
    format: Literal["csv", "jsonl"] = "csv",
) -> StreamingResponse:
    """The query runs before the export is logged and before the answer starts: a query that
    fails is a plain error response and leaves no ``audit.export`` event. Should the stream
    break off after that (the database gone mid-way), an ``audit.export_aborted`` event says
    how many rows had been sent."""
    query = filters.apply(select(AuditEvent)).order_by(AuditEvent.id)
    export = _Export(session_factory, query, format, admin)
    try:
        audit.record(session, admin, "audit.export", owner_id=filters.owner_id, detail=filters.as_dict())
        session.commit()
    except BaseException:
        export.close()
        raise
    media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
    name = f"audit.{format}"
    return StreamingResponse(export.rows(), media_type=media,
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


class _Export:
    """The export's query, already running in a session of its own (the request's is closed
    by the time the rows are sent), read 500 rows at a time."""

    def __init__(self, session_factory: sessionmaker[Session], query: Select[AuditEvent], format: str,
                 who: Principal) -> None:
        self.session_factory, self.format, self.who = session_factory, format, who
        self.session = session_factory()
        try:
            self.result = self.session.scalars(query.execution_options(yield_per=500))
        except BaseException:
            self.session.close()
            raise

    def close(self) -> None:
        self.result.close()
        self.session.close()

    def rows(self) -> Iterator[str]:
        sent = 0
        try:
            if self.format == "csv":
                yield ",".join(COLUMNS) + "\r\n"
            for event in self.result:
                yield _line(event, self.format)
                sent += 1
        except Exception as exc:
            self._aborted(sent, exc)
            raise
        finally:
            self.close()

    def _aborted(self, sent: int, exc: Exception) -> None:
        try:
            with self.session_factory() as session:
                audit.record(session, self.who, "audit.export_aborted", result_count=sent,
                             detail={"error": type(exc).__name__})
                session.commit()
        except Exception:  # the database is likely what broke; the export's own error is raised below
            log.exception("could not record the aborted audit export")


def _line(event: AuditEvent, format: str) -> str:
    data = event_public(event).model_dump(mode="json")
    if format == "jsonl":
        return json.dumps(data, ensure_ascii=False) + "\n"
    out = io.StringIO()
    data["detail"] = json.dumps(data["detail"], ensure_ascii=False) if data["detail"] is not None else ""
    csv.writer(out).writerow(["" if data[c] is None else data[c] for c in COLUMNS])
    return out.getvalue()
