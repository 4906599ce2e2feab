"""The record facets a search backend stores, shaped so its ``valid_on`` filter means
exactly ``sohoa.domain.validity.is_valid_on``.

Backends filter ``valid_on`` as ``(valid_from is None or valid_from <= d) and (permanent or
d <= valid_until)`` and know nothing of approval or legal status. So a record that cannot be
valid on any day (not approved, not in force, or with no known start) is indexed with no
validity at all (``permanent=False``, no end), which no day matches; otherwise ``valid_from``
is the record's start (issue date when no start is stated). ``owner_ids`` are the IDs a
lookup matches (``query.LOOKUP_ROLES``), so search and lookup find the same records.
``names`` are every person the record names (owner, child, parents, spouses,
representative, requester…): search ranks a page of a record naming the person typed above
pages that only contain the words.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sohoa.core.models import Part, Record, RecordSubject
from sohoa.core.vocab import LegalStatus, RecordKind
from sohoa.domain.records.query import LOOKUP_ROLES


def search_facets(session: Session, document_id: str) -> dict[str, Any]:
    """Keyword arguments for ``search.IndexedDocument`` (empty when there is no record).

    The owner IDs are those of every part's record; type and validity are the first
    result's (the first part when the file holds no result).
    """
    records = list(session.scalars(select(Record).join(Part, Part.id == Record.part_id, isouter=True)
                                   .where(Record.document_id == document_id)
                                   .order_by(Record.kind != RecordKind.RESULT, Part.position, Record.id)))
    if not records:
        return {}
    record = records[0]
    ids = [r.owner_id for r in records if r.owner_id]
    ids += session.scalars(select(RecordSubject.person_id).where(
        RecordSubject.record_id.in_([r.id for r in records]), RecordSubject.role.in_(LOOKUP_ROLES),
        RecordSubject.person_id.is_not(None)))
    names = [record.owner_name] if record.owner_name else []
    names += session.scalars(select(RecordSubject.name).where(
        RecordSubject.record_id == record.id, RecordSubject.name.is_not(None)).order_by(RecordSubject.id))
    start = record.valid_from or record.issue_date
    can_hold = (
        record.approved and (record.legal_status or LegalStatus.IN_FORCE) == LegalStatus.IN_FORCE and start is not None
    )
    return {
        "owner_ids": sorted(set(ids)),
        "names": list(dict.fromkeys(n for n in names if n and n.strip())),
        "doc_type": record.doc_type,
        "legal_status": record.legal_status,
        "issue_date": record.issue_date,
        "valid_from": start if can_hold else None,
        "valid_until": record.valid_until if can_hold else None,
        "permanent": bool(record.permanent) if can_hold else False,
    }
