"""Parts as JSON: the parts of a document with their records, and the part a page is in."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.schemas import PartChangePublic, PartPublic, PartRefPublic
from sohoa.core.models import Part, PartChange, Record


def parts_public(session: Session, document_id: str) -> list[PartPublic]:
    rows = session.execute(select(Part, Record.id).join(Record, Record.part_id == Part.id, isouter=True)
                           .where(Part.document_id == document_id).order_by(Part.position)).all()
    return [PartPublic(id=p.id, index=p.position, first_page=p.first_page, last_page=p.last_page, kind=p.kind,
                       doc_type=p.doc_type, reasons=list(p.reasons or []), confidence=p.confidence, source=p.source,
                       result_part_id=p.result_part_id, record_id=record_id) for p, record_id in rows]


def history_public(session: Session, document_id: str) -> list[PartChangePublic]:
    rows = session.scalars(select(PartChange).where(PartChange.document_id == document_id).order_by(PartChange.id))
    return [PartChangePublic(action=c.action, before=c.before, after=c.after, detail=c.detail, key_id=c.key_id,
                             user_id=c.user_id, at=c.at, note=c.note) for c in rows]


def page_parts(session: Session, document_ids: Iterable[str]) -> dict[str, list[PartRefPublic]]:
    """Every part of these documents, for finding the part a hit's page falls in."""
    out: dict[str, list[PartRefPublic]] = {}
    rows = session.execute(select(Part, Record.id).join(Record, Record.part_id == Part.id, isouter=True)
                           .where(Part.document_id.in_(set(document_ids))).order_by(Part.position))
    for part, record_id in rows:
        out.setdefault(part.document_id, []).append(PartRefPublic(
            id=part.id, index=part.position, first_page=part.first_page, last_page=part.last_page, kind=part.kind,
            record_id=record_id))
    return out


def part_of_page(parts: list[PartRefPublic] | None, page: int) -> PartRefPublic | None:
    return next((p for p in parts or [] if p.first_page <= page <= p.last_page), None)
