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

from datetime import date, datetime
from functools import cache
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    Integer,
    Row,
    Select,
    String,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    union,
)
from sqlalchemy.orm import Session

from sohoa.core.models import Record, RecordSubject
from sohoa.core.vocab import LegalStatus

LOOKUP_ROLES = ("subject", "child", "deceased", "husband", "wife", "representative", "enterprise")
MAX_LOOKUP = 200
# The roles written into the SQL, not bound: a constant list needs no per-request expansion
# of an IN parameter. They are this module's own identifiers, never input.
assert all(role.isidentifier() for role in LOOKUP_ROLES)
_LOOKUP_ROLES_SQL = RecordSubject.role.in_([literal_column(f"'{role}'") for role in LOOKUP_ROLES])


def valid_on_clause(day: date | ColumnElement[date]) -> ColumnElement[bool]:
    """Approved, in force, started by ``day``, and permanent or ending on/after ``day``
    (a date, or a bound parameter standing for one)."""
    start = func.coalesce(Record.valid_from, Record.issue_date)
    return and_(
        Record.approved.is_(True),
        or_(Record.legal_status == LegalStatus.IN_FORCE, Record.legal_status.is_(None), Record.legal_status == ""),
        start.is_not(None),
        start <= day,
        or_(Record.permanent.is_(True), and_(Record.valid_until.is_not(None), Record.valid_until >= day)),
    )


class RecordFacts(Protocol):
    """A record as its JSON and its validity read it: the ORM ``Record``, or a row of the
    ``records`` table (``lookup_rows``), which costs far less to load."""

    @property
    def id(self) -> str: ...
    @property
    def document_id(self) -> str: ...
    @property
    def part_id(self) -> str | None: ...
    @property
    def kind(self) -> str: ...
    @property
    def owner_id(self) -> str | None: ...
    @property
    def owner_id_type(self) -> str | None: ...
    @property
    def owner_name(self) -> str | None: ...
    @property
    def doc_type(self) -> str | None: ...
    @property
    def procedure_code(self) -> str | None: ...
    @property
    def doc_number(self) -> str | None: ...
    @property
    def issuing_body(self) -> str | None: ...
    @property
    def issue_date(self) -> date | None: ...
    @property
    def valid_from(self) -> date | None: ...
    @property
    def valid_until(self) -> date | None: ...
    @property
    def permanent(self) -> bool | None: ...
    @property
    def approved(self) -> bool: ...
    @property
    def legal_status(self) -> str | None: ...
    @property
    def replaced_by_id(self) -> str | None: ...
    @property
    def review_state(self) -> str: ...
    @property
    def confirmed_at(self) -> datetime | None: ...
    @property
    def updated_at(self) -> datetime: ...


def validity_input(record: RecordFacts) -> dict[str, Any]:
    """The facts ``sohoa.domain.validity.check_validity`` reads, taken from a record."""
    return {"approved": record.approved, "legal_status": record.legal_status, "valid_from": record.valid_from,
            "issued": record.issue_date, "valid_until": record.valid_until, "permanent": record.permanent}


def owner_clause(owner_id: str | ColumnElement[str]) -> ColumnElement[bool]:
    """Records owned by ``owner_id`` or about them in a ``LOOKUP_ROLES`` role.

    A UNION of two lookups each database serves from its own index (``records.owner_id``,
    ``record_subjects.person_id``): written as ``owner_id = ? OR id IN (…)``, PostgreSQL
    cannot use either index for the OR and reads every record."""
    owned = select(Record.id).where(Record.owner_id == owner_id)
    about = select(RecordSubject.record_id).where(RecordSubject.person_id == owner_id, _LOOKUP_ROLES_SQL)
    return Record.id.in_(union(owned, about))


def lookup_records(session: Session, *, owner_id: str | None = None, doc_type: str | None = None,
                   procedure_code: str | None = None, valid_on: date | None = None,
                   document_id: str | None = None, limit: int = MAX_LOOKUP) -> list[Record]:
    """Records matching every given filter, newest issue first (ties by id, stable);
    ``valid_on`` None: whatever their validity."""
    params = _lookup_params(owner_id, doc_type, procedure_code, valid_on, document_id)
    return list(session.scalars(_lookup_statement(frozenset(params), rows=False), {**params, "limit": limit}))


def lookup_rows(source: Session | Connection, *, owner_id: str | None = None, doc_type: str | None = None,
                procedure_code: str | None = None, valid_on: date | None = None,
                document_id: str | None = None, limit: int = MAX_LOOKUP) -> list[Row[Any]]:
    """``lookup_records`` as rows of the ``records`` table (``RecordFacts``), for readers
    that change nothing: loading ORM objects cost more than the query (a portal's lookup)."""
    params = _lookup_params(owner_id, doc_type, procedure_code, valid_on, document_id)
    statement = _lookup_statement(frozenset(params), rows=True)
    conn = source.connection() if isinstance(source, Session) else source
    return list(conn.execute(statement, {**params, "limit": limit}))


def _lookup_params(owner_id: str | None, doc_type: str | None, procedure_code: str | None, valid_on: date | None,
                   document_id: str | None) -> dict[str, Any]:
    given = {"owner_id": owner_id, "doc_type": doc_type, "valid_on": valid_on, "document_id": document_id,
             "procedure_code": procedure_code,
             "procedure_prefix": None if procedure_code is None else _like_escaped(procedure_code) + ".%"}
    return {name: value for name, value in given.items() if value is not None}


@cache
def _lookup_statement(filters: frozenset[str], *, rows: bool) -> Select[Any]:
    """The lookup for one combination of filters, with its values as bound parameters: built
    once per combination (building the expression cost more than running it), so a request
    only binds values and SQLAlchemy finds the compiled SQL in its cache."""
    query = select(*Record.__table__.columns) if rows else select(Record)
    if "document_id" in filters:
        query = query.where(Record.document_id == bindparam("document_id", type_=String))
    if "owner_id" in filters:
        query = query.where(owner_clause(bindparam("owner_id", type_=String)))
    if "doc_type" in filters:
        query = query.where(Record.doc_type == bindparam("doc_type", type_=String))
    if "procedure_code" in filters:  # `1.004227` also matches `1.004227.000.00.14.H56`
        query = query.where(or_(Record.procedure_code == bindparam("procedure_code", type_=String),
                                Record.procedure_code.like(bindparam("procedure_prefix", type_=String),
                                                           escape=_LIKE_ESCAPE)))
    if "valid_on" in filters:
        query = query.where(valid_on_clause(bindparam("valid_on", type_=Date)))
    return query.order_by(Record.issue_date.desc().nulls_last(), Record.id).limit(bindparam("limit", type_=Integer))


_LIKE_ESCAPE = "/"


def _like_escaped(text: str) -> str:
    """``text`` matched literally by LIKE (``startswith(..., autoescape=True)`` does the same)."""
    return text.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2).replace("%", _LIKE_ESCAPE + "%").replace(
        "_", _LIKE_ESCAPE + "_")
