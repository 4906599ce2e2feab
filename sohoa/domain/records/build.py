"""From a document's page text to its parts' records: candidates stored, one value chosen per field.

``refresh_from_document`` runs after OCR and before indexing, and again on every
re-processing: it draws the parts (``records.parts``), then per part replaces the extracted
candidates and refreshes the part's record, but never a value an officer set: a field with
a correction keeps the officer's value, and a confirmed record keeps them all. Each part is
extracted on its own pages only, so a correction to one part survives a re-extraction of
any other.

Owner and subjects: the owner is the person (or enterprise) the result is about — the child
of a birth extract, the deceased of a death extract, otherwise the person the extractor
names as the document's holder (``sohoa.domain.extract.owner_role``). Their 12-digit personal ID is
preferred, else the 9-digit ID card, else the enterprise code. Every identified person becomes
a ``RecordSubject`` with their role; see ``lookup.LOOKUP_ROLES`` for which roles a lookup by
ID matches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.orm import Session

from sohoa.core.errors import NotFound
from sohoa.core.models import Document, ExtractedFieldRow, Part, Record, RecordCorrection, RecordSubject, table_of
from sohoa.core.vocab import IdType, PartKind, RecordKind, ReviewState
from sohoa.domain.extract import ExtractedField, best_fields, extract_fields, owner_role
from sohoa.domain.parts import PageInput, PartPeople, link_components
from sohoa.domain.records.ids import normalize_id
from sohoa.domain.records.parts import document_parts, page_inputs, sync_detected_parts
from sohoa.domain.vntext import folded

# The person a result is about, where it differs from the extractor's choice of holder.
_SUBJECT_ROLE = {"trich_luc_khai_sinh": "child", "giay_khai_sinh": "child",
                 "trich_luc_khai_tu": "deceased", "giay_chung_tu": "deceased"}
# Record column → extracted field key (person columns depend on the owner's role).
PLAIN_COLUMNS = {"doc_type": "doc_type", "kind": "doc_class", "doc_number": "doc_no",
                 "issuing_body": "issuer", "issue_date": "issued", "valid_from": "valid_from",
                 "valid_until": "valid_until", "permanent": "validity"}
_ID_NAMES = (("cccd", IdType.CCCD), ("cmnd", IdType.CMND))
# Core executemany statements built once: a part's candidates and subjects are many small
# rows, which the ORM's unit of work (objects, attribute events, flush) made the hot path of
# a document's finish. Column defaults (created_at, valid, segment, chosen) still apply.
_FIELDS, _SUBJECTS, _DOCUMENTS = table_of(ExtractedFieldRow), table_of(RecordSubject), table_of(Document)
_ADD_CANDIDATES = insert(_FIELDS)
_ADD_SUBJECTS = insert(_SUBJECTS)
# The reads repeated per document and per part, built once (their parameters bound per call).
# The deletes are built per call: an ORM delete synchronizes the session's objects by
# evaluating its criteria in Python, which sees a bound parameter's value, not the call's.
_DOCUMENT = select(_DOCUMENTS.c.id, _DOCUMENTS.c.procedure_code).where(_DOCUMENTS.c.id == bindparam("document"))
_RECORD_OF_PART = select(Record).where(Record.part_id == bindparam("part"))
_CORRECTED_FIELDS = select(RecordCorrection.field).where(RecordCorrection.record_id == bindparam("record"))
_PEOPLE_OF = select(_SUBJECTS.c.record_id, _SUBJECTS.c.person_id, _SUBJECTS.c.name).where(
    _SUBJECTS.c.record_id.in_(bindparam("records", expanding=True)))


class DocumentFacts(NamedTuple):
    """What a part's record takes from its file."""

    id: str
    procedure_code: str | None


def refresh_from_document(session: Session, document_id: str) -> list[Record]:
    """Draw the document's parts, extract fields per part and create or refresh one record
    per part (in part order); link each dossier component to its result.

    Flushes but does not commit: the caller's transaction covers parts, candidates, records
    and subjects together, so a crash never leaves a half-refreshed document.
    """
    document = _document(session, document_id)
    pages = page_inputs(session, document_id)
    parts, created = sync_detected_parts(session, document_id, pages)
    session.execute(delete(ExtractedFieldRow).where(ExtractedFieldRow.document_id == document_id,
                                                    ExtractedFieldRow.part_id.is_(None)))
    records = [refresh_part(session, document, part, pages, new_part=part.id in created) for part in parts]
    link_parts(session, parts, records)
    return records


def refresh_parts(session: Session, document_id: str, parts: list[Part]) -> list[Record]:
    """Re-extract only ``parts`` (an officer moved their boundaries); the others are untouched."""
    document = _document(session, document_id)
    pages = page_inputs(session, document_id)
    records = [refresh_part(session, document, part, pages) for part in parts]
    every = document_parts(session, document_id)
    link_parts(session, every, [_record_of(session, p) for p in every])
    return records


def _document(session: Session, document_id: str) -> DocumentFacts:
    row = session.execute(_DOCUMENT, {"document": document_id}).first()
    if row is None:
        raise NotFound(f"document {document_id} does not exist")
    return DocumentFacts(*row)


def _record_of(session: Session, part: Part) -> Record | None:
    return session.scalar(_RECORD_OF_PART, {"part": part.id})


def refresh_part(session: Session, document: DocumentFacts, part: Part, pages: list[PageInput], *,
                 new_part: bool = False) -> Record:
    """Fields of one part's pages (separator sheets left blank) and its record. A ``new_part``
    (inserted by this refresh) has no candidates to delete nor record to look up."""
    texts = ["" if pages[n - 1].separator else pages[n - 1].text for n in range(part.first_page, part.last_page + 1)]
    shift = part.first_page - 1
    fields = [replace(f, page=f.page + shift) for f in extract_fields(texts)]
    best = best_fields(fields, 0)
    _store_candidates(session, document.id, part.id, fields, best, new_part=new_part)
    record = None if new_part else _record_of(session, part)
    new = record is None
    if record is None:
        record = Record(document_id=document.id, part_id=part.id)
        session.add(record)
    values = extracted_values(best, document, holder_role(fields, best))
    for column in sorted(set(values) - _protected(session, record)):
        setattr(record, column, values[column])
    part.doc_type = record.doc_type or part.doc_type  # the part's row written in the record's flush
    part.kind = PartKind.COMPONENT if record.kind == RecordKind.DOSSIER_COMPONENT else PartKind.RESULT
    session.flush()
    _replace_subjects(session, record, fields, best, new=new)
    return record


def link_parts(session: Session, parts: Sequence[Part], records: Sequence[Record | None]) -> None:
    """Point every component part at the result part it came with (``link_components``)."""
    session.flush()  # the subjects are read by one Core statement: the records' rows are written first
    named: dict[str, list[tuple[str | None, str | None]]] = defaultdict(list)
    for record_id, person_id, name in session.execute(
            _PEOPLE_OF, {"records": [record.id for record in records if record is not None]}):
        named[record_id].append((person_id, name))
    people = []
    for part, record in zip(parts, records, strict=True):
        ids: set[str] = set()
        names: set[str] = set()
        if record is not None:
            ids |= {record.owner_id} if record.owner_id else set()
            for person_id, name in named[record.id]:
                ids |= {person_id} if person_id else set()
                names |= {folded(name)} if name else set()
        people.append(PartPeople(part.kind, frozenset(ids), frozenset(names)))
    links = link_components(people)
    for i, part in enumerate(parts):
        linked = parts[links[i]].id if i in links else None
        if part.result_part_id != linked:  # no UPDATE of a part whose link stays what it is
            part.result_part_id = linked
    session.flush()


def _store_candidates(session: Session, document_id: str, part_id: str, fields: list[ExtractedField],
                      best: dict[str, ExtractedField], *, new_part: bool) -> None:
    if not new_part:
        session.execute(delete(ExtractedFieldRow).where(ExtractedFieldRow.part_id == part_id))  # autoflushes the part
    chosen = {id(f) for f in best.values()}
    rows = [{"document_id": document_id, "part_id": part_id, "name": f.name, "role": f.role, "value": f.value,
             "raw": f.raw, "confidence": f.confidence, "page": f.page, "span_start": f.span[0],
             "span_end": f.span[1], "valid": f.valid, "problems": list(f.problems) or None,
             "segment": f.segment, "chosen": id(f) in chosen}
            for f in fields]
    if rows:
        session.execute(_ADD_CANDIDATES, rows)


def holder_role(fields: list[ExtractedField], best: dict[str, ExtractedField]) -> str | None:
    """The role of the person the result is about (``subject`` when the page says no more)."""
    doc_type = best["doc_type"].value if "doc_type" in best else ""
    role = _SUBJECT_ROLE.get(doc_type)
    if role and any(f.role == role for f in fields if f.segment == 0):
        return role
    return owner_role(fields, 0)


def _key(role: str | None, name: str) -> str:
    return name if role in (None, "subject") else f"{role}_{name}"


def extracted_values(best: dict[str, ExtractedField], document: DocumentFacts, role: str | None) -> dict[str, Any]:
    """Record column values from the chosen candidates (None where nothing was found)."""
    get = {k: f.value for k, f in best.items()}
    issue_date = _date(get.get("issued"))
    validity = get.get("validity")
    values: dict[str, Any] = {
        "doc_type": (get.get("doc_type") or None),
        "kind": RecordKind.DOSSIER_COMPONENT if get.get("doc_class") == "component" else RecordKind.RESULT,
        "doc_number": _cut(get.get("doc_no"), 128),
        "issuing_body": _cut(get.get("issuer"), 512),
        "issue_date": issue_date,
        "valid_from": _date(get.get("valid_from")) or issue_date,
        "valid_until": _date(get.get("valid_until")),
        "permanent": True if validity == "permanent" else (False if validity == "dated" else None),
        "procedure_code": document.procedure_code,
    }
    values.update(_owner_values(best, role))
    return values


def _owner_values(best: dict[str, ExtractedField], role: str | None) -> dict[str, Any]:
    owner_id: str | None = None
    owner_type: IdType | None = None
    for name, kind in _ID_NAMES:
        if _key(role, name) in best:
            owner_id, owner_type = normalize_id(best[_key(role, name)].value), kind
            break
    if owner_id is None and "tax_code" in best:
        owner_id, owner_type = normalize_id(best["tax_code"].value), IdType.ENTERPRISE
    holder = best.get(_key(role, "name"))
    return {"owner_id": owner_id, "owner_id_type": owner_type,
            "owner_name": _cut(holder.value if holder else None, 256)}


def _protected(session: Session, record: Record) -> set[str]:
    """Columns an officer set: all of them once confirmed, else the corrected ones."""
    if record.id is None:
        return set()
    if record.review_state == ReviewState.CONFIRMED:
        return set(PLAIN_COLUMNS) | {"owner_id", "owner_id_type", "owner_name", "procedure_code"}
    corrected = set(session.scalars(_CORRECTED_FIELDS, {"record": record.id}))
    if "owner_id" in corrected:
        corrected.add("owner_id_type")
    return corrected


def _replace_subjects(session: Session, record: Record, fields: list[ExtractedField],
                      best: dict[str, ExtractedField], *, new: bool) -> None:
    if not new:  # a record inserted by this refresh has no subjects to delete
        session.execute(delete(RecordSubject).where(RecordSubject.record_id == record.id))
    rows: list[dict[str, Any]] = []
    roles = dict.fromkeys((f.role or "subject") for f in fields
                          if f.segment == 0 and f.name in ("name", "cccd", "cmnd"))
    for role in roles:
        person_id = id_kind = None
        for name, kind in _ID_NAMES:
            if _key(role, name) in best:
                person_id, id_kind = normalize_id(best[_key(role, name)].value), kind
                break
        name_field = best.get(_key(role, "name"))
        rows.append({"record_id": record.id, "role": role, "person_id": person_id, "id_type": id_kind,
                     "name": _cut(name_field.value if name_field else None, 256)})
    if "tax_code" in best:
        rows.append({"record_id": record.id, "role": "enterprise", "id_type": IdType.ENTERPRISE,
                     "person_id": normalize_id(best["tax_code"].value), "name": None})
    if rows:  # one executemany, in the order the ORM's flush inserted them
        session.execute(_ADD_SUBJECTS, rows)


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _cut(value: str | None, length: int) -> str | None:
    return value[:length] if value else None
