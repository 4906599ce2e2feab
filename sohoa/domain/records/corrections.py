"""Officers confirm or correct a record; every change leaves who, when, old and new.

A corrected column is protected from re-extraction (``build._protected``); confirming a record
protects all of them. Corrections are append-only rows: the history is never rewritten.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sohoa.core.clock import utcnow
from sohoa.core.errors import BadRequest, NotFound
from sohoa.core.models import Record, RecordCorrection
from sohoa.core.vocab import LegalStatus, RecordKind, ReviewState
from sohoa.domain.principal import Principal
from sohoa.domain.records.ids import id_type, normalize_id

EDITABLE = ("owner_id", "owner_name", "doc_type", "kind", "procedure_code", "doc_number", "issuing_body",
            "issue_date", "valid_from", "valid_until", "permanent", "approved")
_PROCEDURE = re.compile(r"^\d\.\d{6}(\.[0-9A-Z.]+)?$")
_DATES = ("issue_date", "valid_from", "valid_until")
_LENGTHS = {"owner_name": 256, "doc_type": 64, "doc_number": 128, "issuing_body": 512}


def as_text(value: Any) -> str | None:
    """How a value is kept in the history: ISO dates, ``true``/``false``, text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def apply_changes(record: Record, who: Principal, *, changes: dict[str, Any], confirm: bool = False,
                  legal_status: str | None = None, replaced_by: Record | None = None,
                  note: str | None = None) -> list[RecordCorrection]:
    """Apply field changes, legal status and confirmation; return the history rows to add.

    Values equal to the current ones are not changes. Raises ``BadRequest`` before touching
    the record if anything is invalid, so a rejected request changes nothing.
    """
    clean = {name: _validate(name, value) for name, value in changes.items()}
    _check_status(record, legal_status, replaced_by)
    if clean.get("kind") not in (None, RecordKind.RESULT, RecordKind.DOSSIER_COMPONENT):
        raise BadRequest("kind must be result or dossier_component", code="invalid_value", detail={"field": "kind"})
    rows: list[RecordCorrection] = []

    def change(column: str, new: Any) -> None:
        old = getattr(record, column)
        if as_text(old) != as_text(new):
            rows.append(RecordCorrection(record_id=record.id, field=column, old_value=as_text(old),
                                         new_value=as_text(new), key_id=who.key_id,
                                         user_id=who.user_id, note=note))
            setattr(record, column, new)

    for column, value in clean.items():
        change(column, value)
        if column == "owner_id":
            record.owner_id_type = id_type(value) if value else None
    if legal_status is not None:
        change("legal_status", legal_status)
        change("replaced_by_id", replaced_by.id if replaced_by is not None else None)
    if confirm:
        change("review_state", ReviewState.CONFIRMED)
        record.confirmed_by_key_id, record.confirmed_by_user_id = who.key_id, who.user_id
        record.confirmed_at = utcnow()
    return rows


def _validate(name: str, value: Any) -> Any:
    if name not in EDITABLE:
        raise BadRequest(f"{name!r} cannot be corrected; editable: {', '.join(EDITABLE)}",
                         code="invalid_field", detail={"field": name})
    if isinstance(value, str):
        value = value.strip() or None
    if value is None:
        if name in ("approved", "kind"):
            raise BadRequest(f"{name} cannot be empty", code="invalid_value", detail={"field": name})
        return None
    if name in _DATES:
        return _as_date(name, value)
    if name in ("permanent", "approved"):
        if not isinstance(value, bool):
            raise BadRequest(f"{name} must be true, false or null", code="invalid_value", detail={"field": name})
        return value
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be text", code="invalid_value", detail={"field": name})
    if name == "owner_id":
        value = normalize_id(value)
        if id_type(value) is None:
            raise BadRequest("owner_id must be a 12-digit personal ID, a 9-digit ID card number or an "
                             "enterprise code", code="invalid_owner_id", detail={"field": name})
    if name == "procedure_code" and not _PROCEDURE.match(value):
        raise BadRequest("procedure_code must look like 1.004227", code="invalid_value", detail={"field": name})
    if name in _LENGTHS and len(value) > _LENGTHS[name]:
        raise BadRequest(f"{name} is longer than {_LENGTHS[name]}", code="invalid_value", detail={"field": name})
    return value


def _as_date(name: str, value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise BadRequest(f"{name} must be a date (YYYY-MM-DD)", code="invalid_value",
                         detail={"field": name}) from None


def _check_status(record: Record, legal_status: str | None, replaced_by: Record | None) -> None:
    if legal_status is None:
        if replaced_by is not None:
            raise BadRequest("replaced_by goes with legal_status=replaced", code="invalid_value",
                             detail={"field": "replaced_by"})
        return
    if legal_status not in tuple(LegalStatus):
        raise BadRequest(f"legal_status must be one of {', '.join(tuple(LegalStatus))}", code="invalid_value",
                         detail={"field": "legal_status"})
    if (legal_status == LegalStatus.REPLACED) != (replaced_by is not None):
        raise BadRequest("legal_status=replaced needs replaced_by (the replacing record's id), and only it",
                         code="replaced_by_required", detail={"field": "replaced_by"})
    if replaced_by is not None and replaced_by.id == record.id:
        raise BadRequest("a record cannot replace itself", code="invalid_value", detail={"field": "replaced_by"})


def find_record(session: Any, record_id: str) -> Record:
    record = session.get(Record, record_id)
    if record is None:
        raise NotFound(f"no record with id {record_id}", detail={"record_id": record_id})
    return record
