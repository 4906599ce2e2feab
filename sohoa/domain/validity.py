"""Is a result valid on a given day? (DOMAIN.md, "Validity of a result").

A result is valid on day t when it was approved, its legal status is in force (not revoked,
cancelled, replaced or expired by a decision), valid_from ≤ t, and it is permanent or
t ≤ valid_until (the last valid day is included).

Unknown is not permanent: a record whose end is neither a date nor "permanent" cannot be
confirmed valid, so ``is_valid_on`` answers False and ``check_validity`` says why
(``unknown_end``). A portal relying on the answer must never be told "valid" on a guess;
an officer can confirm the end and the record becomes answerable. Likewise a record without a
start (no valid_from and no issue date) is ``unknown_start``.

Days are calendar days in Asia/Ho_Chi_Minh (UTC+7, no DST): ``today_vn()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sohoa.core.clock import VN_TZ, today_vn
from sohoa.core.vocab import LegalStatus, ValidityKind, ValidityReason

__all__ = ["Verdict", "check_validity", "is_valid_on", "validity_kind"]


@dataclass(frozen=True)
class Verdict:
    valid: bool
    reason: ValidityReason

    def __bool__(self) -> bool:
        return self.valid


def _get(record: Any, name: str, default: Any = None) -> Any:
    if isinstance(record, Mapping):
        return record.get(name, default)
    return getattr(record, name, default)


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(VN_TZ).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def validity_kind(record: Any) -> ValidityKind:
    """``permanent``, ``dated`` or ``unknown`` from a record's ``validity``/``permanent``/``valid_until``."""
    kind = _get(record, "validity")
    if kind in tuple(ValidityKind):
        if kind == ValidityKind.DATED and not _as_date(_get(record, "valid_until")):
            return ValidityKind.UNKNOWN  # "dated" without a date says nothing of the end
        return ValidityKind(kind)
    if _get(record, "permanent") is True:
        return ValidityKind.PERMANENT
    return ValidityKind.DATED if _as_date(_get(record, "valid_until")) else ValidityKind.UNKNOWN


def check_validity(record: Any, day: date | None = None) -> Verdict:
    """Why a record is or is not valid on ``day`` (default: today in Vietnam).

    ``record`` is a mapping or an object with: ``approved`` (default True: a stored result was
    issued), ``legal_status`` (default in_force), ``valid_from`` (falls back to ``issued``),
    ``valid_until``, and ``validity`` (permanent/dated/unknown) or ``permanent`` (bool).
    """
    day = day or today_vn()
    if _get(record, "approved", True) is False:
        return Verdict(False, ValidityReason.NOT_APPROVED)
    status = _get(record, "legal_status") or LegalStatus.IN_FORCE
    if status != LegalStatus.IN_FORCE:
        return Verdict(False, ValidityReason.NOT_IN_FORCE)
    start = _as_date(_get(record, "valid_from")) or _as_date(_get(record, "issued"))
    if start is None:
        return Verdict(False, ValidityReason.UNKNOWN_START)
    if day < start:
        return Verdict(False, ValidityReason.NOT_YET_VALID)
    kind = validity_kind(record)
    if kind == ValidityKind.PERMANENT:
        return Verdict(True, ValidityReason.VALID)
    if kind == ValidityKind.UNKNOWN:
        return Verdict(False, ValidityReason.UNKNOWN_END)
    end = _as_date(_get(record, "valid_until"))
    assert end is not None
    return Verdict(day <= end, ValidityReason.VALID if day <= end else ValidityReason.PAST_END)


def is_valid_on(record: Any, day: date | None = None) -> bool:
    """True when the record is confirmably valid on ``day`` (see module docstring)."""
    return check_validity(record, day).valid
