"""Records as JSON for a given caller: chosen fields with their evidence, links, masking.

Masking policy (DOMAIN.md, "Personal data"): officers and admins see ID numbers in full;
a portal sees in full only the ID it asked about (``owner_id`` of its request) and every
other ID masked (``0021******82``) — a spouse's or parent's ID is not its business; clerks
never reach records. Masking covers the owner, the subjects and ID-valued candidates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    exists,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from api.deps import Caller
from api.schemas import utc_instant
from api.schemas_records import CandidatePublic, FieldPublic, RecordPublic
from sohoa.core.models import Document, ExtractedFieldRow, Part, Record, RecordCorrection, RecordSubject, StoredFile
from sohoa.core.vocab import ReviewState
from sohoa.domain.records import RecordFacts, as_text, has_failed_id, mask_id, mask_in_text, validity_input
from sohoa.domain.records.build import PLAIN_COLUMNS
from sohoa.domain.validity import check_validity

_ID_CANDIDATES = ("cccd", "cmnd", "tax_code")
_SHOWN = ("owner_id", "owner_name", "procedure_code", *PLAIN_COLUMNS)


class RecordContext:
    """Everything the JSON of some records needs, loaded with one statement (none for no
    records): their subjects, corrected fields, chosen candidates, parts' pages, documents'
    pages and searchable PDFs. The statement is built once (``_CONTEXT``): building it cost
    more than running it."""

    def __init__(self, source: Session | Connection, records: Sequence[RecordFacts]) -> None:
        self.subjects: dict[str, list[Subject]] = defaultdict(list)
        self.corrected: dict[str, set[str]] = defaultdict(set)
        self.chosen: dict[str, list[Evidence]] = defaultdict(list)  # by part, or ``document:<id>``
        self.parts: dict[str, PartPages] = {}
        self.pages_total: dict[str, int] = {}
        self.pdfs: set[str] = set()
        if not records:
            return
        params = {"ids": [r.id for r in records], "docs": list({r.document_id: None for r in records}),
                  "parts": [r.part_id for r in records if r.part_id],
                  "whole": [r.document_id for r in records if not r.part_id]}
        # Core rows, one statement: cheaper than the session's ORM execution, and than one
        # statement (a round trip on PostgreSQL) for each of the five
        conn = source.connection() if isinstance(source, Session) else source
        for kind, key, a, b, c, d, number, i1, i2, i3, flag, problems, _order in conn.execute(_CONTEXT, params):
            if kind == _CHOSEN:
                self.chosen[key or f"document:{a}"].append(Evidence(key, a, b, c, d, number, i1, i2, i3, flag,
                                                                     problems))
            elif kind == _SUBJECT:
                self.subjects[key].append(Subject(key, a, b, c, d))
            elif kind == _CORRECTED:
                self.corrected[key].add(a)
            elif kind == _PART:
                self.parts[key] = PartPages(key, i1, i2)
            else:
                self.pages_total[key] = i1
                if flag:
                    self.pdfs.add(key)

    def evidence(self, record: RecordFacts) -> list[Evidence]:
        """The chosen candidates of the record's part (or document, without parts)."""
        return self.chosen[record.part_id or f"document:{record.document_id}"]

    def has_failed_id(self, record: RecordFacts) -> bool:
        """The portal rule (``sohoa.domain.records.portal``) on what is loaded here."""
        return has_failed_id(self.evidence(record), self.corrected[record.id])


class PartPages(NamedTuple):
    id: str
    first_page: int
    last_page: int


class Subject(NamedTuple):
    record_id: str
    role: str
    person_id: str | None
    id_type: str | None
    name: str | None


class Evidence(NamedTuple):
    """A chosen candidate, as much of it as the JSON shows (rows, not ORM objects: cheaper)."""

    part_id: str | None
    document_id: str
    name: str
    role: str | None
    value: str | None
    confidence: float
    page: int | None
    span_start: int | None
    span_end: int | None
    valid: bool
    problems: list[str] | None


_SUBJECT, _CORRECTED, _CHOSEN, _PART, _DOCUMENT = range(5)


def _context_statement() -> CompoundSelect[Any]:
    """The context's five reads as one ``UNION ALL``, their values as bound parameters (lists
    expand), each row ``(kind, key, a, b, c, d, number, i1, i2, i3, flag, problems)`` and
    sorted by kind then row id (subjects and candidates in the order they were written). The
    first branch gives each column its type (its result processing: booleans and JSON on
    SQLite); the others fill what they lack with NULL."""
    ids, docs, parts, whole = (bindparam(name, type_=String, expanding=True)
                               for name in ("ids", "docs", "parts", "whole"))

    def branch(kind: int, key: Any, *columns: Any, order: Any = None) -> Select[Any]:
        padded = [*columns, *[null()] * (10 - len(columns))]
        return select(literal_column(str(kind), Integer).label("kind"), key, *padded,
                      (order if order is not None else null()).label("ord"))

    field = ExtractedFieldRow
    chosen = branch(_CHOSEN, field.part_id, field.document_id, field.name, field.role, field.value,
                    field.confidence, field.page, field.span_start, field.span_end, field.valid, field.problems,
                    order=field.id).where(_candidates(parts, whole), field.chosen.is_(True))
    subjects = branch(_SUBJECT, RecordSubject.record_id, RecordSubject.role, RecordSubject.person_id,
                      RecordSubject.id_type, RecordSubject.name, order=RecordSubject.id).where(
        RecordSubject.record_id.in_(ids))
    corrected = branch(_CORRECTED, RecordCorrection.record_id, RecordCorrection.field).where(
        RecordCorrection.record_id.in_(ids))
    part_pages = branch(_PART, Part.id, null(), null(), null(), null(), null(), Part.first_page,
                        Part.last_page).where(Part.id.in_(parts))
    has_pdf = exists().where(StoredFile.document_id == Document.id, StoredFile.kind == "searchable_pdf")
    documents = branch(_DOCUMENT, Document.id, null(), null(), null(), null(), null(), Document.pages_total,
                       null(), null(), has_pdf).where(Document.id.in_(docs))
    return union_all(chosen, subjects, corrected, part_pages, documents).order_by("kind", "ord")


def candidates_of_records(records: Sequence[Record]) -> ColumnElement[bool]:
    """The extracted candidates of these records: their parts' (a record made before parts,
    or by hand, has none: then its document's candidates that belong to no part)."""
    return _candidates([r.part_id for r in records if r.part_id], [r.document_id for r in records if not r.part_id])


def _candidates(parts: Any, whole: Any) -> ColumnElement[bool]:
    return or_(ExtractedFieldRow.part_id.in_(parts),
               and_(ExtractedFieldRow.part_id.is_(None), ExtractedFieldRow.document_id.in_(whole)))


_CONTEXT = _context_statement()


def _mask(caller: Caller, value: str | None, asked: str | None) -> str | None:
    return value if caller.sees_full_id(value, asked) else mask_id(value)


def _evidence(rows: list[Evidence], record: RecordFacts, column: str) -> Evidence | None:
    if column in PLAIN_COLUMNS:
        key = PLAIN_COLUMNS[column]
        return next((r for r in rows if r.name == key and r.role in (None, "subject")), None)
    if column == "owner_id":
        return next((r for r in rows if r.name in _ID_CANDIDATES and r.value == record.owner_id), None)
    if column == "owner_name":
        return next((r for r in rows if r.name == "name" and r.value == record.owner_name), None)
    return None


def _field(record: RecordFacts, column: str, ctx: RecordContext, shown: str | None) -> dict[str, Any]:
    """The value with where it was read (page, span, confidence), or who set it: a
    ``FieldPublic`` as its JSON, every key in the model's order."""
    value = getattr(record, column)
    text = shown if column == "owner_id" else as_text(value)
    if column in ctx.corrected[record.id]:
        return _field_json(text, 1.0, None, None, "officer", [])
    if value is None:
        return _field_json(None, None, None, None, "none", [])
    rows = ctx.evidence(record)
    row, source = _evidence(rows, record, column), "extracted"
    if row is None and column == "valid_from":
        row, source = _evidence(rows, record, "issue_date"), "derived"
    if row is None:
        return _field_json(text, 1.0 if record.review_state == ReviewState.CONFIRMED else None, None, None,
                           "upload" if column == "procedure_code" else "none", [])
    confidence = 1.0 if record.review_state == ReviewState.CONFIRMED else row.confidence
    return _field_json(text, confidence, row.page,
                       [row.span_start, row.span_end] if row.span_start is not None else None, source,
                       list(row.problems or []))


def _field_json(value: str | None, confidence: float | None, page: int | None, span: list[int | None] | None,
                source: str, problems: list[str]) -> dict[str, Any]:
    return {"value": value, "confidence": confidence, "page": page, "span": span, "source": source,
            "problems": problems}


def record_json(record: RecordFacts, caller: Caller, ctx: RecordContext, *, day: date,
                asked: str | None = None) -> dict[str, Any]:
    """A ``RecordPublic`` as its JSON (without candidates): every key in the model's order,
    every value as the model would hold it (instants in UTC), so that a lookup serializes
    it without validating again what it read from its own database (``record_public``
    validates the same dict; ``tests/test_records_json.py`` holds the two to one JSON)."""
    verdict = check_validity(validity_input(record), day)
    owner = _mask(caller, record.owner_id, asked)
    part = ctx.parts.get(record.part_id or "")
    return {
        "id": record.id, "document_id": record.document_id, "part_id": record.part_id,
        "pages": {"first": part.first_page, "last": part.last_page} if part else None, "kind": record.kind,
        "owner_id": owner, "owner_id_type": record.owner_id_type, "owner_name": record.owner_name,
        "doc_type": record.doc_type, "procedure_code": record.procedure_code, "doc_number": record.doc_number,
        "issuing_body": record.issuing_body, "issue_date": record.issue_date, "valid_from": record.valid_from,
        "valid_until": record.valid_until, "permanent": record.permanent, "approved": record.approved,
        "legal_status": record.legal_status, "replaced_by": record.replaced_by_id,
        "review_state": record.review_state,
        "confirmed_at": None if record.confirmed_at is None else utc_instant(record.confirmed_at),
        "updated_at": utc_instant(record.updated_at), "valid_on": day, "valid": verdict.valid,
        "validity_reason": verdict.reason,
        "subjects": [{"role": s.role, "person_id": _mask(caller, s.person_id, asked), "id_type": s.id_type,
                      "name": s.name} for s in ctx.subjects[record.id]],
        "fields": {c: _field(record, c, ctx, owner) for c in _SHOWN},
        "links": _links(record, part, ctx),
        "candidates": None,
    }


def record_public(record: RecordFacts, caller: Caller, ctx: RecordContext, *, day: date, asked: str | None = None,
                  candidates: list[ExtractedFieldRow] | None = None) -> RecordPublic:
    body = record_json(record, caller, ctx, day=day, asked=asked)
    if candidates is not None:
        body["candidates"] = [_candidate(r, caller, asked) for r in candidates]
    return RecordPublic.model_validate(body)


def _links(record: RecordFacts, part: PartPages | None, ctx: RecordContext) -> dict[str, Any]:
    """The files of the record's paper document: the whole file's when the part is the whole
    file, else the part's pages only (a stack holds other people's documents)."""
    base = f"/api/v1/documents/{record.document_id}"
    whole = part is None or (part.first_page == 1 and part.last_page >= ctx.pages_total.get(record.document_id, 0))
    if not whole:
        assert part is not None
        base = f"/api/v1/parts/{part.id}"
    return {"original": f"{base}/original",
            "searchable_pdf": f"{base}/searchable.pdf" if record.document_id in ctx.pdfs else None,
            "self": f"/api/v1/records/{record.id}"}


def _candidate(row: ExtractedFieldRow, caller: Caller, asked: str | None) -> CandidatePublic:
    value, raw = row.value, row.raw
    if row.name in _ID_CANDIDATES and not caller.sees_full_id(value, asked):
        value, raw = mask_id(value), mask_in_text(raw)
    return CandidatePublic(name=row.name, role=row.role, value=value, raw=raw, confidence=row.confidence,
                           page=row.page, valid=row.valid, problems=list(row.problems or []),
                           span=[row.span_start, row.span_end] if row.span_start is not None else None,
                           segment=row.segment, chosen=row.chosen)


SUMMARY_FIELDS = ("owner_id", "owner_name", "doc_type", "doc_number", "issue_date", "valid_until")


def field_summary(record: RecordFacts, caller: Caller, ctx: RecordContext) -> dict[str, FieldPublic]:
    """The fields a reviewer checks first, each with its confidence and where it was read."""
    owner = _mask(caller, record.owner_id, None)
    return {c: FieldPublic.model_validate(_field(record, c, ctx, owner)) for c in SUMMARY_FIELDS}
