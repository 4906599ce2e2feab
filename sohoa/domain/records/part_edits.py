"""An officer moves a boundary, merges two parts or splits one.

The new page ranges are placed on the existing part rows (``records.parts.place_parts``:
the same range keeps its row, a changed one the row it overlaps most), so a record keeps
its id and its corrections wherever its part survives. Only the parts whose range changed
are re-extracted (their corrected fields stay protected as always); every other part, its
record and its corrections are not touched. A part that disappears (the second of a merge)
is deleted with its record, and that record's corrections are copied into the change's
history first, so no officer's work is lost without a trace. Once an officer drew them,
the document's boundaries are never re-detected.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sohoa.core.errors import BadRequest, NotFound
from sohoa.core.models import Part, PartChange, Record, RecordCorrection
from sohoa.core.vocab import BoundaryReason, PartAction, PartSource
from sohoa.domain.principal import Principal
from sohoa.domain.records.build import refresh_parts
from sohoa.domain.records.parts import Span, document_parts, match_spans, place_parts


def split_part(session: Session, document_id: str, index: int, at_page: int, *, who: Principal,
               note: str | None = None) -> list[Part]:
    """Part ``index`` becomes two: pages up to ``at_page - 1`` and from ``at_page`` on."""
    spans, part = _spans_and_part(session, document_id, index)
    if not part.first_page < at_page <= part.last_page:
        raise BadRequest(f"at_page must be within pages {part.first_page + 1}-{part.last_page} of part {index}",
                         code="invalid_boundary", detail={"index": index, "at_page": at_page})
    spans[index:index + 1] = [(part.first_page, at_page - 1), (at_page, part.last_page)]
    return _apply(session, document_id, spans, PartAction.SPLIT, who, note)


def merge_parts(session: Session, document_id: str, index: int, *, who: Principal,
                note: str | None = None) -> list[Part]:
    """Part ``index`` and the one after it become one part."""
    spans, part = _spans_and_part(session, document_id, index)
    if index + 1 >= len(spans):
        raise BadRequest(f"part {index} is the last part: nothing after it to merge with",
                         code="invalid_boundary", detail={"index": index})
    spans[index:index + 2] = [(part.first_page, spans[index + 1][1])]
    return _apply(session, document_id, spans, PartAction.MERGE, who, note)


def move_boundary(session: Session, document_id: str, index: int, first_page: int, *, who: Principal,
                  note: str | None = None) -> list[Part]:
    """Part ``index`` (not the first) starts at ``first_page``; the part before it ends just before."""
    spans, part = _spans_and_part(session, document_id, index)
    if index == 0:
        raise BadRequest("the first part starts the file: move the start of a later part",
                         code="invalid_boundary", detail={"index": index})
    before = spans[index - 1]
    if not before[0] < first_page <= part.last_page or first_page == part.first_page:
        raise BadRequest(f"first_page must be within pages {before[0] + 1}-{part.last_page} and differ from "
                         f"{part.first_page}", code="invalid_boundary",
                         detail={"index": index, "first_page": first_page})
    spans[index - 1], spans[index] = (before[0], first_page - 1), (first_page, part.last_page)
    return _apply(session, document_id, spans, PartAction.MOVE, who, note)


def _spans_and_part(session: Session, document_id: str, index: int) -> tuple[list[Span], Part]:
    parts = document_parts(session, document_id)
    if not parts:
        raise NotFound(f"document {document_id} has no parts (not read yet?)", detail={"document_id": document_id})
    if not 0 <= index < len(parts):
        raise NotFound(f"document {document_id} has no part {index}", detail={"index": index})
    return [(p.first_page, p.last_page) for p in parts], parts[index]


def _apply(session: Session, document_id: str, spans: list[Span], action: PartAction, who: Principal,
           note: str | None) -> list[Part]:
    existing = document_parts(session, document_id)
    old = [(p.first_page, p.last_page) for p in existing]
    matches = match_spans(old, spans)
    removed = [p for k, p in enumerate(existing) if k not in set(matches)]
    detail = {"removed_records": [_snapshot(session, p) for p in removed]}
    parts = place_parts(session, document_id, existing, spans)
    changed = [p for p in parts if (p.first_page, p.last_page) not in old]
    for part in changed:  # one officer part is enough: the file's boundaries are never re-detected
        part.source, part.reasons, part.confidence = PartSource.OFFICER, [str(BoundaryReason.OFFICER)], 1.0
    session.add(PartChange(document_id=document_id, action=action, before=[list(s) for s in old],
                           after=[list(s) for s in spans], detail=detail, key_id=who.key_id, user_id=who.user_id,
                           note=note))
    session.flush()
    refresh_parts(session, document_id, changed)
    return parts


def _snapshot(session: Session, part: Part) -> dict[str, object]:
    record = session.scalar(select(Record).where(Record.part_id == part.id))
    if record is None:
        return {"part": [part.first_page, part.last_page]}
    corrections = session.scalars(select(RecordCorrection).where(RecordCorrection.record_id == record.id)
                                  .order_by(RecordCorrection.id))
    return {"part": [part.first_page, part.last_page], "record_id": record.id, "review_state": record.review_state,
            "corrections": [{"field": c.field, "old_value": c.old_value, "new_value": c.new_value,
                             "key_id": c.key_id, "user_id": c.user_id, "at": c.at.isoformat(), "note": c.note}
                            for c in corrections]}
