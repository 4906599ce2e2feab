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

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from sohoa.core.models import Part, Record, RecordSubject, table_of
from sohoa.core.vocab import LegalStatus, RecordKind
from sohoa.domain.records.query import LOOKUP_ROLES

PartFacets = tuple[int, int, dict[str, Any]]  # first page, last page, ``search.IndexedRecord`` fields

# Read as rows by statements built once (a document is indexed once per processing, and the
# ORM's objects, identity map and statement building per call were most of its CPU).
_RECORDS, _PARTS, _SUBJECTS = table_of(Record), table_of(Part), table_of(RecordSubject)
_RECORDS_OF_DOCUMENT = (
    select(*(_RECORDS.c[name] for name in ("id", "owner_id", "owner_name", "doc_number", "doc_type", "legal_status",
                                           "issue_date", "valid_from", "valid_until", "permanent", "approved")),
           _PARTS.c.first_page, _PARTS.c.last_page)
    .select_from(_RECORDS.outerjoin(_PARTS, _PARTS.c.id == _RECORDS.c.part_id))
    .where(_RECORDS.c.document_id == bindparam("document"))
    .order_by(_RECORDS.c.kind != RecordKind.RESULT, _PARTS.c.position, _RECORDS.c.id))
_SUBJECTS_OF_RECORDS = (select(_SUBJECTS.c.record_id, _SUBJECTS.c.role, _SUBJECTS.c.person_id, _SUBJECTS.c.name)
                        .where(_SUBJECTS.c.record_id.in_(bindparam("records", expanding=True)))
                        .order_by(_SUBJECTS.c.id))


def search_facets(session: Session, document_id: str) -> tuple[dict[str, Any], list[PartFacets]]:
    """The ``search.IndexedRecord`` fields of the document's own record (its first record
    without a part; empty when every record has its part), and those of each part that has
    a record, in page order. Reads what the session has flushed (flushing first, as the ORM
    would)."""
    session.flush()
    rows = session.execute(_RECORDS_OF_DOCUMENT, {"document": document_id}).all()
    if not rows:
        return {}, []
    people: dict[str, list[Row[*tuple[Any, ...]]]] = defaultdict(list)
    for subject in session.execute(_SUBJECTS_OF_RECORDS, {"records": [row.id for row in rows]}):
        people[subject.record_id].append(subject)
    parts = [(row.first_page, row.last_page, indexed_record(row, people[row.id]))
             for row in sorted(rows, key=lambda row: row.first_page or 0) if row.first_page is not None]
    unparted = next((row for row in rows if row.first_page is None), None)
    return ({} if unparted is None else indexed_record(unparted, people[unparted.id])), parts


def indexed_record(record: Row[*tuple[Any, ...]], subjects: list[Row[*tuple[Any, ...]]]) -> dict[str, Any]:
    """The ``search.IndexedRecord`` fields of one record and the people it names (rows of
    ``_RECORDS_OF_DOCUMENT`` and ``_SUBJECTS_OF_RECORDS``)."""
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
