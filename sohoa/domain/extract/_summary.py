"""Choosing one value per field: the view a record is built from.

Candidates stay in ``extract_fields``' output; these helpers only pick. The *owner* of a
document (whose ID a portal will look it up by) depends on the type: the representative of a
household business, the requester of an application, the parents of a birth extract (the
child's own fields are kept under ``child_*``).
"""

from __future__ import annotations

from typing import Any

from sohoa.domain.extract import _model as m
from sohoa.domain.extract._model import ExtractedField, rank

_OWNER_ROLES: dict[str, tuple[str, ...]] = {
    "gcn_hkd": ("representative", "subject", "requester"),
    "gcn_dkdn": ("representative", "subject", "requester"),
    "don_de_nghi": ("requester", "subject"),
    "to_khai": ("requester", "subject"),
    "trich_luc_khai_sinh": ("requester", "father", "mother"),
    "giay_khai_sinh": ("requester", "father", "mother"),
    "trich_luc_khai_tu": ("requester", "deceased"),
    "giay_chung_tu": ("requester", "deceased"),
    "trich_luc_ket_hon": ("husband", "wife", "subject"),
    "gcn_ket_hon": ("husband", "wife", "subject"),
}
_DEFAULT_OWNER = ("subject", "representative", "requester", "husband", "wife", "deceased")
_PERSON = (m.PERSON_NAME, m.CCCD, m.CMND, m.BIRTH_DATE, m.BIRTH_YEAR, m.SEX)
_PLAIN = (m.DOC_TYPE, m.DOC_CLASS, m.DOC_NO, m.ISSUED, m.ISSUER, m.VALID_FROM, m.VALID_UNTIL, m.VALIDITY,
          m.TAX_CODE, m.BUSINESS_NO)


def pick(fields: list[ExtractedField], key: str, segment: int = 0) -> ExtractedField | None:
    """Best candidate for ``key`` (``cccd``, ``child_name``...) in one document of the file."""
    cands = [f for f in fields if f.key == key and f.segment == segment and m.INVALID_DATE not in f.problems]
    return max(cands, key=rank) if cands else None


def best_fields(fields: list[ExtractedField], segment: int = 0) -> dict[str, ExtractedField]:
    """The best candidate per key in one document of the file (unreadable dates left out)."""
    out: dict[str, ExtractedField] = {}
    for f in fields:
        if f.segment != segment or m.INVALID_DATE in f.problems:  # not a date: never a value
            continue
        if f.key not in out or rank(f) > rank(out[f.key]):
            out[f.key] = f
    return out


def segment_count(fields: list[ExtractedField]) -> int:
    return 1 + max((f.segment for f in fields), default=0)


def owner_role(fields: list[ExtractedField], segment: int = 0) -> str | None:
    """The role whose name and ID identify the document's owner."""
    best = best_fields(fields, segment)
    doc_type = best[m.DOC_TYPE].value if m.DOC_TYPE in best else ""
    for role in _OWNER_ROLES.get(doc_type, _DEFAULT_OWNER):
        key = m.PERSON_NAME if role == "subject" else f"{role}_{m.PERSON_NAME}"
        if key in best:
            return role
    return None


def summarize(fields: list[ExtractedField], segment: int = 0) -> dict[str, Any]:
    """Flat values of one document: plain fields, owner's ``name``/``cccd``, and role fields.

    ``validity`` is ``permanent``, ``dated`` or ``unknown`` (never guessed); every value
    comes with ``confidence[key]`` and ``problems[key]`` so low-confidence ones get reviewed.
    """
    best = best_fields(fields, segment)
    out: dict[str, Any] = {k: (best[k].value if k in best else None) for k in _PLAIN}
    out[m.VALIDITY] = out[m.VALIDITY] or "unknown"
    role = owner_role(fields, segment)
    for name in _PERSON:
        key = name if role in (None, "subject") else f"{role}_{name}"
        out[name] = best[key].value if key in best else None
    out["owner_role"] = role
    confidence: dict[str, float] = {}
    problems: dict[str, list[str]] = {}
    for key, f in best.items():
        if key not in out:
            out[key] = f.value
        confidence[key] = f.confidence
        if f.problems:
            problems[key] = list(f.problems)
    out["confidence"], out["problems"] = confidence, problems
    return out
