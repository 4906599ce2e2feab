"""What a search backend stores of a document's records: one per part, for that part's pages.

Each part's record is given with its page range, so every page is indexed with the names,
facets and summary of the paper it belongs to: a person named only in the third document
of a stack is found through the names stage by that document's pages, a filter by type
finds the stack by the pages of the part of that type, and a hit says the owner, type,
number and issue date of its own part. A record without a part (a file-level record, from
before parts) covers the pages outside every part.

The facets are shaped so a backend's ``valid_on`` filter means exactly
``sohoa.domain.validity.is_valid_on``. Backends filter ``valid_on`` as ``(valid_from is None
or valid_from <= d) and (permanent or d <= valid_until)`` and know nothing of approval or
legal status. So a record that cannot be valid on any day (not approved, not in force, or
with no known start) is indexed with no validity at all (``permanent=False``, no end),
which no day matches; otherwise ``valid_from`` is the record's start (issue date when no
start is stated). ``owner_ids`` are the IDs a lookup matches (``query.LOOKUP_ROLES``), so
search and lookup find the same records. ``names`` are every person the record names
(owner, child, parents, spouses, representative, requester…): search ranks a page of a
record naming the person typed above pages that only contain the words.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sohoa.core.models import Part, Record, RecordSubject
from sohoa.core.vocab import LegalStatus, RecordKind
from sohoa.domain.records.query import LOOKUP_ROLES

PartFacets = tuple[int, int, dict[str, Any]]  # first page, last page, ``search.IndexedRecord`` fields


def search_facets(session: Session, document_id: str) -> tuple[dict[str, Any], list[PartFacets]]:
    """The ``search.IndexedRecord`` fields of the document's own record (its first record
    without a part; empty when every record has its part), and those of each part that has
    a record, in page order."""
    rows = session.execute(select(Record, Part.first_page, Part.last_page)
                           .join(Part, Part.id == Record.part_id, isouter=True)
                           .where(Record.document_id == document_id)
                           .order_by(Record.kind != RecordKind.RESULT, Part.position, Record.id)).all()
    if not rows:
        return {}, []
    people: dict[str, list[RecordSubject]] = defaultdict(list)
    for subject in session.scalars(select(RecordSubject).where(
            RecordSubject.record_id.in_([row[0].id for row in rows])).order_by(RecordSubject.id)):
        people[subject.record_id].append(subject)
    parts = [(first, last, indexed_record(record, people[record.id]))
             for record, first, last in sorted(rows, key=lambda row: row[1] or 0) if first is not None]
    unparted = next((record for record, first, _ in rows if first is None), None)
    return ({} if unparted is None else indexed_record(unparted, people[unparted.id])), parts


def indexed_record(record: Record, subjects: list[RecordSubject]) -> dict[str, Any]:
    """The ``search.IndexedRecord`` fields of one record and the people it names."""
    ids = [record.owner_id] if record.owner_id else []
    ids += [s.person_id for s in subjects if s.role in LOOKUP_ROLES and s.person_id]
    names = [record.owner_name, *(s.name for s in subjects)]
    start = record.valid_from or record.issue_date
    can_hold = (
        record.approved and (record.legal_status or LegalStatus.IN_FORCE) == LegalStatus.IN_FORCE and start is not None
    )
    return {
        "record_id": record.id,
        "owner_name": record.owner_name,
        "doc_number": record.doc_number,
        "owner_ids": sorted(set(ids)),
        "names": list(dict.fromkeys(n for n in names if n and n.strip())),
        "doc_type": record.doc_type,
        "legal_status": record.legal_status,
        "issue_date": record.issue_date,
        "valid_from": start if can_hold else None,
        "valid_until": record.valid_until if can_hold else None,
        "permanent": bool(record.permanent) if can_hold else False,
    }
