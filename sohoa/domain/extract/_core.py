"""Field extraction driver: split a file into documents, run each reader, cross-check.

Pure functions over page texts: no I/O, no settings, deterministic, so the worker, the
benchmark and the tests all see the same behaviour.
"""

from __future__ import annotations

import re
from datetime import date

from sohoa.domain.extract import _model as m
from sohoa.domain.extract._doc import Doc, date_field
from sohoa.domain.extract._layout import SO_LABEL, Segment, issuer_parts, issuer_value, nonblank, segments
from sohoa.domain.extract._model import ExtractedField
from sohoa.domain.extract._persons import people_fields
from sohoa.domain.extract._text import repair_digits
from sohoa.domain.extract._validity import apply_rules, read_validity
from sohoa.domain.extract.dates import find_dates
from sohoa.domain.extract.ids import check_tax_code, parse_doc_no

_PLACE_DATE = re.compile(r"^[^\d,:]{2,40},\s*(?:ngay|\d)")
_ISSUE_LABEL = re.compile(r"(?:dang\s*ky\s*lan\s*dau|ngay\s*cap|ngay\s*ban\s*hanh)\s*:?\s*")
_BUSINESS_LABEL = re.compile(
    r"(?:ma\s*so\s*ho\s*kinh\s*doanh|so\s*(?:giay\s*chung\s*nhan\s*)?dang\s*ky\s*ho\s*kinh\s*doanh)\s*:?\s*"
)
_TAX_LABEL = re.compile(
    r"(?<![\w])(?:ma\s*so\s*(?:thue|doanh\s*nghiep|dn|chi\s*nhanh|dia\s*diem\s*kinh\s*doanh)|mst)"
    r"(?:\s*(?:cua\s*)?(?:doanh\s*nghiep|chi\s*nhanh|dn))?\s*[:.]?\s*"
)
# Ten digits, maybe spaced in groups or one by one (boxes on a form), then a branch's -NNN.
_D = "[0-9OoIl|SB]"
_TAX_VALUE = re.compile(rf"{_D}(?:[ .]?{_D}){{9}}(?![ .]?[0-9])(?:\s*[-–]\s*{_D}{{3}}(?![0-9]))?|[0-9][0-9 .]*[0-9]")
_DEFAULT_ROLE = {
    "trich_luc_khai_sinh": "child",
    "giay_khai_sinh": "child",
    "trich_luc_khai_tu": "deceased",
    "giay_chung_tu": "deceased",
}


def extract_fields(pages: list[str]) -> list[ExtractedField]:
    """Every candidate field in a file's page texts (one string per page, 1-based in results).

    A page whose OCR failed may be passed as ``""`` or None: page numbers stay aligned.
    """
    doc = Doc([p or "" for p in pages])
    out: list[ExtractedField] = []
    for seg in segments(doc.lines):
        out.extend(_segment_fields(doc, seg))
    return out


def _segment_fields(doc: Doc, seg: Segment) -> list[ExtractedField]:
    out: list[ExtractedField] = []
    doc_type = seg.doc_type[0] if seg.doc_type else None
    if seg.doc_type and seg.title is not None:
        ln = doc.lines[seg.title]
        conf = 0.95 if seg.motto is not None else 0.8
        end = ln.start + len(ln.text.rstrip())
        out.append(doc.field(m.DOC_TYPE, seg.doc_type[0], ln.page, ln.start, end, conf, seg))
        out.append(doc.field(m.DOC_CLASS, seg.doc_type[1], ln.page, ln.start, end, conf, seg))
    out.extend(_issuer(doc, seg))
    out.extend(_doc_numbers(doc, seg, doc_type))
    issued = _issue_date(doc, seg)
    out.extend(issued)
    issue_day = _best_date(issued)
    out.extend(_people_fields(doc, seg, doc_type))
    out.extend(_tax_codes(doc, seg))
    if seg.doc_type is None or seg.doc_type[1] != "component":  # applications have no validity
        out.extend(_validity_fields(doc, seg, doc_type, issue_day, issued))
    return out


def _issuer(doc: Doc, seg: Segment) -> list[ExtractedField]:
    parts = issuer_parts(doc.lines, seg)
    if not parts:
        return []
    value = issuer_value([ln.text[s:e] for ln, s, e in parts])
    first, last = parts[0], parts[-1]
    same_page = all(ln.page == first[0].page for ln, _, _ in parts)
    end = last[0].start + last[2] if same_page else first[0].start + first[2]
    return [doc.field(m.ISSUER, value, first[0].page, first[0].start, end, 0.9, seg)]


def _doc_numbers(doc: Doc, seg: Segment, doc_type: str | None) -> list[ExtractedField]:
    out: list[ExtractedField] = []
    header = doc.lines[seg.start : seg.header_end] + nonblank(doc.lines, seg.header_end, seg.end, 3)
    for ln in header:
        stripped = len(ln.folded) - len(ln.folded.lstrip())
        mo = SO_LABEL.match(ln.folded, stripped)
        if not mo:
            continue
        num = parse_doc_no(ln.text, mo.end())
        if num is None:
            continue
        conf = 0.95 if num.structured else 0.85
        problems = [m.OCR_REPAIRED] if num.repaired else []
        if num.repaired:
            conf = 0.4
        raw_end = ln.start + num.start + len(ln.text[num.start : num.end].rstrip())
        out.append(doc.field(m.DOC_NO, num.value, ln.page, ln.start + num.start, raw_end, conf, seg, problems=problems))
        if doc_type == "gcn_hkd" and not num.structured:
            value = num.value.upper()
            out.append(doc.field(m.BUSINESS_NO, value, ln.page, ln.start + num.start, raw_end, 0.9, seg))
        break
    for pg, lo, hi in doc.ranges(seg):
        for mb in _BUSINESS_LABEL.finditer(doc.folds[pg - 1], lo, hi):
            num = parse_doc_no(doc.texts[pg - 1], mb.end())
            if num and not num.structured:
                out.append(doc.field(m.BUSINESS_NO, num.value.upper(), pg, num.start, num.end, 0.9, seg))
                if doc_type == "gcn_hkd" and not any(f.name == m.DOC_NO for f in out):
                    # the certificate's number is the business's registration number
                    out.append(doc.field(m.DOC_NO, num.value.upper(), pg, num.start, num.end, 0.85, seg))
    return out


def _issue_date(doc: Doc, seg: Segment) -> list[ExtractedField]:
    """The place-and-date line in the header; failing that a labelled date; else a late one."""
    for ln in doc.lines[seg.start : seg.header_end] + nonblank(doc.lines, seg.header_end, seg.end, 1):
        found = find_dates(doc.folds[ln.page - 1], ln.start, ln.end)
        after_title = seg.title is not None and ln.index > seg.title
        if found and "sinh" not in ln.folded and not (after_title and not _PLACE_DATE.search(ln.folded)):
            conf = 0.95 if _PLACE_DATE.search(ln.folded) or ln.folded.lstrip().startswith("ngay") else 0.85
            return [date_field(doc, seg, m.ISSUED, ln.page, found[0], conf)]
    for pg, lo, hi in doc.ranges(seg):
        ml = _ISSUE_LABEL.search(doc.folds[pg - 1], lo, hi)
        if ml:
            found = find_dates(doc.folds[pg - 1], ml.end(), min(hi, ml.end() + 40))
            if found and found[0].start - ml.end() < 4:
                return [date_field(doc, seg, m.ISSUED, pg, found[0], 0.8)]
    for ln in reversed(doc.lines[seg.header_end : seg.end]):
        if _PLACE_DATE.search(ln.folded):
            found = find_dates(doc.folds[ln.page - 1], ln.start, ln.end)
            if found:
                return [date_field(doc, seg, m.ISSUED, ln.page, found[0], 0.7)]
    return []


def _best_date(fields: list[ExtractedField]) -> date | None:
    good = [f for f in fields if f.valid]
    return date.fromisoformat(good[0].value) if good else None


def _people_fields(doc: Doc, seg: Segment, doc_type: str | None) -> list[ExtractedField]:
    return people_fields(doc, seg, _DEFAULT_ROLE.get(doc_type or "", "subject"))


def _tax_codes(doc: Doc, seg: Segment) -> list[ExtractedField]:
    out = []
    for pg, lo, hi in doc.ranges(seg):
        text, folded = doc.texts[pg - 1], doc.folds[pg - 1]
        for ml in _TAX_LABEL.finditer(folded, lo, hi):
            mt = _TAX_VALUE.match(text, ml.end())
            if not mt:
                continue
            raw = re.sub(r"[\s.]+", "", mt.group(0))
            fixed, repaired = repair_digits(raw.replace("-", "").replace("–", ""))
            # a longer run (a 12-digit personal ID as tax code) is kept whole, never cut to 10
            value = fixed[:10] + "-" + fixed[10:] if len(fixed) == 13 and re.search(r"[-–]", raw) else fixed
            ok = check_tax_code(value)
            conf = 0.95 if ok else 0.2
            problems = ([m.OCR_REPAIRED] if repaired else []) + ([] if ok else [m.TAX_CODE_SHAPE])
            out.append(
                doc.field(
                    m.TAX_CODE,
                    value,
                    pg,
                    mt.start(),
                    mt.end(),
                    min(conf, 0.4) if repaired else conf,
                    seg,
                    valid=ok,
                    problems=problems,
                )
            )
    return out


def _validity_fields(
    doc: Doc, seg: Segment, doc_type: str | None, issued: date | None, issued_fields: list[ExtractedField]
) -> list[ExtractedField]:
    facts = None
    where = ((seg.start and doc.lines[seg.start].page) or 1, 0, 0)
    for pg, lo, hi in doc.ranges(seg):
        f = read_validity(doc.folds[pg - 1], lo, hi, issued)
        if f.kind is not None or f.valid_from is not None:
            facts, where = f, (pg, *(f.span or (lo, lo)))
            if f.kind is not None:
                break
    facts = apply_rules(facts or read_validity("", 0, 0, issued), doc_type, issued)
    out: list[ExtractedField] = []
    if facts.span is None and issued_fields:  # a rule: point at the issue date it counts from
        src = issued_fields[0]
        where = (src.page, *src.span)
    pg, s, e = where
    if facts.kind is not None:
        out.append(doc.field(m.VALIDITY, facts.kind, pg, s, e, facts.confidence, seg, problems=facts.problems))
    if facts.until is not None:
        out.append(
            doc.field(m.VALID_UNTIL, facts.until.isoformat(), pg, s, e, facts.confidence, seg, problems=facts.problems)
        )
    start = facts.valid_from or issued
    if start is not None:
        conf = 0.9 if facts.valid_from else min(0.85, issued_fields[0].confidence if issued_fields else 0.5)
        out.append(doc.field(m.VALID_FROM, start.isoformat(), pg, s, e, conf, seg))
    return out
