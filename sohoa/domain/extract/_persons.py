"""Assemble person fields for one document and cross-check IDs against birth year and sex.

Each ID, birth date and sex is attached to the role of the nearest name printed before it;
two roles with the same name are the same person (a requester asking for their own paper), so
their facts are pooled before the ID check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sohoa.domain.extract import _model as m
from sohoa.domain.extract import _people as p
from sohoa.domain.extract._doc import date_field
from sohoa.domain.extract._model import ExtractedField
from sohoa.domain.extract._text import repair_digits
from sohoa.domain.extract.dates import find_dates
from sohoa.domain.extract.ids import check_cccd
from sohoa.domain.vntext import folded

if TYPE_CHECKING:
    from collections.abc import Callable

    from sohoa.domain.extract._doc import Doc
    from sohoa.domain.extract._layout import Segment

    RoleAt = Callable[[int, int], str]


def people_fields(doc: Doc, seg: Segment, default_role: str) -> list[ExtractedField]:
    names: list[tuple[int, int, str]] = []  # (page, start, role) for association
    out: list[ExtractedField] = []
    for pg, lo, hi in doc.ranges(seg):
        text, fold = doc.texts[pg - 1], doc.folds[pg - 1]
        for hit in p.find_names(text, fold, lo, hi):
            role = hit.role or default_role
            conf = 0.95 if hit.labelled else 0.75
            out.append(doc.field(m.PERSON_NAME, hit.value, pg, hit.start, hit.end, conf, seg, role=role))
            names.append((pg, hit.start, role))

    def role_at(pg: int, pos: int) -> str:
        before = [r for (npg, s, r) in names if (npg, s) < (pg, pos)]
        return before[-1] if before else default_role

    facts: list[ExtractedField] = []
    ids: list[tuple[ExtractedField, bool]] = []  # (field, labelled)
    for pg, lo, hi in doc.ranges(seg):
        text, fold = doc.texts[pg - 1], doc.folds[pg - 1]
        facts.extend(_births(doc, seg, pg, text, fold, lo, hi, role_at))
        ids.extend(_ids(doc, seg, pg, text, fold, lo, hi, role_at))
    out.extend(facts)
    out.extend(_checked(ids, facts, out))
    return out


def _births(doc: Doc, seg: Segment, pg: int, text: str, fold: str, lo: int, hi: int,
            role_at: RoleAt) -> list[ExtractedField]:
    out = []
    for mb in p.BIRTH_LABEL.finditer(fold, lo, hi):
        role = role_at(pg, mb.start())
        found = [d for d in find_dates(fold, mb.end(), min(hi, mb.end() + 40)) if d.start - mb.end() < 4]
        if found:
            out.append(date_field(doc, seg, m.BIRTH_DATE, pg, found[0], 0.9, role))
            continue
        raw = fold[mb.end():mb.end() + 4]
        if raw.isdigit() and 1900 <= int(raw) <= 2100:
            out.append(doc.field(m.BIRTH_YEAR, raw, pg, mb.end(), mb.end() + 4, 0.9, seg, role=role))
    for ms in p.SEX.finditer(fold, lo, hi):
        value = "male" if ms.group(1) == "nam" else "female"
        out.append(doc.field(m.SEX, value, pg, ms.start(1), ms.end(1), 0.9, seg, role=role_at(pg, ms.start())))
    return out


def _ids(doc: Doc, seg: Segment, pg: int, text: str, fold: str, lo: int, hi: int,
         role_at: RoleAt) -> list[tuple[ExtractedField, bool]]:
    out: list[tuple[ExtractedField, bool]] = []
    taken: list[int] = []
    for label, labelled_kind in ((p.CMND_LABEL, m.CMND), (p.CCCD_LABEL, m.CCCD)):
        for ml in label.finditer(fold, lo, hi):
            got = p.read_digits(text, ml.end())
            if got is None or got[0] in taken:
                continue
            said = p.role_of(ml.groupdict().get("suffix") or "")  # "số định danh của người mẹ"
            field = _id_field(doc, seg, pg, got, said or role_at(pg, ml.start()), labelled_kind)
            if field is not None:
                out.append((field, True))
                taken.append(got[0])
    for mu in p.DIGITS.finditer(text, lo, hi):
        raw = mu.group(0)
        if mu.start() in taken or "." in raw or not raw[:1].isdigit():
            continue
        if len(raw.replace(" ", "")) == 12 and " " not in raw.strip():
            field = _id_field(doc, seg, pg, (mu.start(), mu.end(), raw), role_at(pg, mu.start()), m.CCCD)
            if field is not None and field.name == m.CCCD:
                field.problems.append(m.UNLABELED)
                out.append((field, False))
    return out


def _id_field(doc: Doc, seg: Segment, pg: int, got: tuple[int, int, str], role: str,
              labelled_kind: str) -> ExtractedField | None:
    start, end, raw = got
    compact = raw.replace(" ", "").replace(".", "")
    digits, repaired = repair_digits(compact)
    if not digits.isdigit():
        return None
    name = m.CMND if len(digits) == 9 else m.CCCD
    if name == m.CMND and labelled_kind != m.CMND:
        return None  # nine digits after a CCCD label: a misread, kept only when labelled CMND
    problems = [m.OCR_REPAIRED] if repaired else []
    valid = len(digits) in (9, 12)
    if not valid:
        problems.append(m.CCCD_LENGTH)
    return doc.field(name, digits, pg, start, end, 0.95, seg, valid=valid, problems=problems, role=role)


def _person_key(role: str, fields: list[ExtractedField]) -> str:
    """Roles with the same printed name are one person."""
    for f in fields:
        if f.name == m.PERSON_NAME and f.role == role:
            return folded(f.value)
    return role


def _checked(ids: list[tuple[ExtractedField, bool]], facts: list[ExtractedField],
             all_fields: list[ExtractedField]) -> list[ExtractedField]:
    out = []
    for field, labelled in ids:
        conf = 0.95 if labelled else 0.7
        if field.name == m.CCCD and field.valid:
            key = _person_key(field.role or "", all_fields)
            mine = [f for f in facts if _person_key(f.role or "", all_fields) == key]
            year = next((int(f.value[:4]) for f in mine if f.valid and f.name in (m.BIRTH_DATE, m.BIRTH_YEAR)), None)
            sex = next((f.value for f in mine if f.name == m.SEX), None)
            check = check_cccd(field.value, birth_year=year, sex=sex)
            field.valid = check.valid
            field.problems.extend(check.problems)
            if m.CCCD_PROVINCE_UNKNOWN in check.problems:
                conf -= 0.2
        if not field.valid:
            conf = 0.2
        if m.OCR_REPAIRED in field.problems:
            conf = min(conf, 0.4)
        field.confidence = round(conf, 3)
        out.append(field)
    return out
