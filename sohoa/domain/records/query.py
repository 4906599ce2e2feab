"""Which records are valid on a day, and which records a lookup by ID finds — in SQL.

``valid_on_clause`` is ``sohoa.domain.validity.is_valid_on`` written as a WHERE clause; the tests
check both agree on every boundary (last valid day, the day after, permanent, unknown end,
revoked, replaced, not yet valid). ``validity_input`` is the mapping ``is_valid_on`` reads
for a Record, so Python and SQL see the same facts.

Lookup by ID matches the record's owner and the people the result is *about*
(``LOOKUP_ROLES``: both spouses of a marriage, the representative of a household business,
the enterprise). It does not match people who only appear on it — requester, mother,
father: a portal serving a dossier of the mother must not receive the child's birth
extract by her ID (purpose limitation, Law 91/2025). Officers can still find those by search.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, union
from sqlalchemy.orm import Session

from sohoa.core.models import Record, RecordSubject
from sohoa.core.vocab import LegalStatus

LOOKUP_ROLES = ("subject", "child", "deceased", "husband", "wife", "representative", "enterprise")
MAX_LOOKUP = 200


def valid_on_clause(day: date) -> ColumnElement[bool]:
    """Approved, in force, started by ``day``, and permanent or ending on/after ``day``."""
    start = func.coalesce(Record.valid_from, Record.issue_date)
    return and_(
        Record.approved.is_(True),
        or_(Record.legal_status == LegalStatus.IN_FORCE, Record.legal_status.is_(None), Record.legal_status == ""),
        start.is_not(None),
        start <= day,
        or_(Record.permanent.is_(True), and_(Record.valid_until.is_not(None), Record.valid_until >= day)),
    )


def validity_input(record: Record) -> dict[str, Any]:
    """The facts ``sohoa.domain.validity.check_validity`` reads, taken from a Record."""
    return {"approved": record.approved, "legal_status": record.legal_status, "valid_from": record.valid_from,
            "issued": record.issue_date, "valid_until": record.valid_until, "permanent": record.permanent}


def owner_clause(owner_id: str) -> ColumnElement[bool]:
    """Records owned by ``owner_id`` or about them in a ``LOOKUP_ROLES`` role.

    A UNION of two lookups each database serves from its own index (``records.owner_id``,
    ``record_subjects.person_id``): written as ``owner_id = ? OR id IN (…)``, PostgreSQL
    cannot use either index for the OR and reads every record."""
    owned = select(Record.id).where(Record.owner_id == owner_id)
    about = select(RecordSubject.record_id).where(
        RecordSubject.person_id == owner_id, RecordSubject.role.in_(LOOKUP_ROLES))
    return Record.id.in_(union(owned, about))


def lookup_records(session: Session, *, owner_id: str | None = None, doc_type: str | None = None,
                   procedure_code: str | None = None, valid_on: date | None = None,
                   document_id: str | None = None, limit: int = MAX_LOOKUP) -> list[Record]:
    """Records matching every given filter, newest issue first (ties by id, stable);
    ``valid_on`` None: whatever their validity."""
    query = select(Record)
    if document_id is not None:
        query = query.where(Record.document_id == document_id)
    if owner_id is not None:
        query = query.where(owner_clause(owner_id))
    if doc_type is not None:
        query = query.where(Record.doc_type == doc_type)
    if procedure_code is not None:  # `1.004227` also matches `1.004227.000.00.14.H56`
        query = query.where(or_(Record.procedure_code == procedure_code,
                                Record.procedure_code.startswith(procedure_code + ".", autoescape=True)))
    if valid_on is not None:
        query = query.where(valid_on_clause(valid_on))
    query = query.order_by(Record.issue_date.desc().nulls_last(), Record.id).limit(limit)
    return list(session.scalars(query))
