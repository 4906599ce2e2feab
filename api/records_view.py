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

from sqlalchemy import ColumnElement, Connection, String, and_, bindparam, exists, or_, select
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
    """Everything the JSON of some records needs, loaded with a handful of queries (none for
    no records; the parts' only when a record has one). The statements are built once
    (``_Statements``): building them cost more than running them."""

    def __init__(self, source: Session | Connection, records: Sequence[RecordFacts]) -> None:
        self.subjects: dict[str, list[Subject]] = defaultdict(list)
        self.corrected: dict[str, set[str]] = defaultdict(set)
        self.chosen: dict[str, list[Evidence]] = defaultdict(list)  # by part, or ``document:<id>``
        self.parts: dict[str, PartPages] = {}
        self.pages_total: dict[str, int] = {}
        self.pdfs: set[str] = set()
        if not records:
            return
        ids = [r.id for r in records]
        docs = list({r.document_id: None for r in records})
        parts = [r.part_id for r in records if r.part_id]
        whole = [r.document_id for r in records if not r.part_id]
        # Core rows: cheaper than the session's ORM execution
        conn = source.connection() if isinstance(source, Session) else source
        for s in conn.execute(_STATEMENTS.subjects, {"ids": ids}):
            self.subjects[s.record_id].append(Subject(*s))
        for rid, name in conn.execute(_STATEMENTS.corrected, {"ids": ids}):
            self.corrected[rid].add(name)
        for row in conn.execute(_STATEMENTS.chosen, {"parts": parts, "whole": whole}):
            self.chosen[row.part_id or f"document:{row.document_id}"].append(Evidence(*row))
        if parts:
            self.parts = {p.id: PartPages(p.id, p.first_page, p.last_page)
                          for p in conn.execute(_STATEMENTS.parts, {"parts": parts})}
        for doc, pages_total, has_pdf in conn.execute(_STATEMENTS.documents, {"docs": docs}):
            self.pages_total[doc] = pages_total
            if has_pdf:
                self.pdfs.add(doc)

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


class _Statements:
    """The context's queries with their values as bound parameters (lists expand)."""

    def __init__(self) -> None:
        ids, docs, parts, whole = (bindparam(name, type_=String, expanding=True)
                                   for name in ("ids", "docs", "parts", "whole"))
        self.subjects = select(*(getattr(RecordSubject, f) for f in Subject._fields)).where(
            RecordSubject.record_id.in_(ids)).order_by(RecordSubject.id)
        self.corrected = select(RecordCorrection.record_id, RecordCorrection.field).where(
            RecordCorrection.record_id.in_(ids))
        self.chosen = select(*(getattr(ExtractedFieldRow, f) for f in Evidence._fields)).where(
            _candidates(parts, whole), ExtractedFieldRow.chosen.is_(True))
        self.parts = select(Part.id, Part.first_page, Part.last_page).where(Part.id.in_(parts))
        has_pdf = exists().where(StoredFile.document_id == Document.id, StoredFile.kind == "searchable_pdf")
        self.documents = select(Document.id, Document.pages_total, has_pdf.label("has_pdf")).where(
            Document.id.in_(docs))


def candidates_of_records(records: Sequence[Record]) -> ColumnElement[bool]:
    """The extracted candidates of these records: their parts' (a record made before parts,
    or by hand, has none: then its document's candidates that belong to no part)."""
    return _candidates([r.part_id for r in records if r.part_id], [r.document_id for r in records if not r.part_id])


def _candidates(parts: Any, whole: Any) -> ColumnElement[bool]:
    return or_(ExtractedFieldRow.part_id.in_(parts),
               and_(ExtractedFieldRow.part_id.is_(None), ExtractedFieldRow.document_id.in_(whole)))


_STATEMENTS = _Statements()


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
