"""Which records a portal is served (DOMAIN.md, "Reuse before review").

A portal is always told whether an officer confirmed a record or it comes straight from the
OCR (``review_state`` and each field's confidence). Whether unconfirmed records are served
at all is the office's setting (``SOHOA_PORTAL_SERVES_UNCONFIRMED``); a record whose
identifier failed its structure or birth-year check is never served unconfirmed, whatever
the setting: a misread ID would hand one citizen's result to another's dossier.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Protocol, TypeVar

from sqlalchemy import Connection, and_, or_, select
from sqlalchemy.orm import Session

from sohoa.core.models import ExtractedFieldRow, RecordCorrection
from sohoa.core.vocab import ReviewState
from sohoa.domain.records.query import RecordFacts

R = TypeVar("R", bound=RecordFacts)  # a Record or a row: what goes in comes out

# The extracted candidates that carry a person's or an enterprise's identifier.
ID_CANDIDATES = ("cccd", "cmnd", "tax_code")


class Candidate(Protocol):
    """What the rule reads of an extracted candidate (a row, or the ORM object)."""

    @property
    def name(self) -> str: ...

    @property
    def valid(self) -> bool: ...


def has_failed_id(chosen: Iterable[Candidate], corrected: Collection[str]) -> bool:
    """The rule on one record's loaded facts: among its chosen candidates an identifier the
    extraction found invalid, and no officer has corrected its ``owner_id`` since (what
    ``failed_id_records`` asks the database)."""
    return "owner_id" not in corrected and any(
        row.valid is False and row.name in ID_CANDIDATES for row in chosen)


class LoadedFacts(Protocol):
    """What a caller that loaded the records' chosen candidates and corrections already
    (``api.records_view.RecordContext``) knows, so the rule needs no query of its own."""

    def has_failed_id(self, record: RecordFacts) -> bool: ...


def failed_id_records(session: Session | Connection, records: Sequence[RecordFacts]) -> set[str]:
    """Ids of these records holding an identifier the extraction found invalid (a chosen
    candidate with ``valid`` false) that no officer has corrected since."""
    if not records:
        return set()
    by_part = {r.part_id: r.id for r in records if r.part_id}
    by_document = {r.document_id: r.id for r in records if not r.part_id}
    rows = session.execute(select(ExtractedFieldRow.part_id, ExtractedFieldRow.document_id).where(
        ExtractedFieldRow.chosen.is_(True), ExtractedFieldRow.valid.is_(False),
        ExtractedFieldRow.name.in_(ID_CANDIDATES),
        or_(ExtractedFieldRow.part_id.in_(list(by_part)),
            and_(ExtractedFieldRow.part_id.is_(None), ExtractedFieldRow.document_id.in_(list(by_document))))))
    failed: set[str] = set()
    for part_id, document_id in rows:
        record_id = by_part.get(part_id) if part_id else by_document.get(document_id)
        if record_id is not None:
            failed.add(record_id)
    if not failed:
        return failed
    corrected = set(session.scalars(select(RecordCorrection.record_id).where(
        RecordCorrection.record_id.in_(failed), RecordCorrection.field == "owner_id")))
    return failed - corrected


def served_to_portals(session: Session | Connection, records: Sequence[R], *, serve_unconfirmed: bool,
                      known: LoadedFacts | None = None) -> list[R]:
    """The records a portal may receive, in their order: approved, and confirmed by an officer
    or (when the office serves unconfirmed records) extracted with no failed identifier
    (asked of the database, or of ``known`` when the caller loaded the facts already)."""
    approved = [r for r in records if r.approved]
    unconfirmed = [r for r in approved if r.review_state != ReviewState.CONFIRMED]
    if not serve_unconfirmed:
        withheld = {r.id for r in unconfirmed}
    elif known is not None:
        withheld = {r.id for r in unconfirmed if known.has_failed_id(r)}
    else:
        withheld = failed_id_records(session, unconfirmed)
    return [r for r in approved if r.id not in withheld]
