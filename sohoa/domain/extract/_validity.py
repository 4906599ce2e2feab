"""Validity clauses: an explicit end date, a duration from issue, or "from signing" (no end).

Returns facts, not verdicts: whether a record is valid *on a day* is ``sohoa.domain.validity``'s job.
When nothing is printed, a rule by document type may apply (marital-status confirmations:
6 months; birth extracts and business registrations: permanent), flagged ``validity_by_rule``.
No clause and no rule means *unknown*, which is kept distinct from permanent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sohoa.domain.extract import _model as m
from sohoa.domain.extract.dates import add_period, find_dates

_UNTIL = re.compile(
    r"(?:co\s*gia\s*tri|co\s*hieu\s*luc|gia\s*tri\s*su\s*dung|thoi\s*han\s*su\s*dung|het\s*han)"
    r"[^.;]{0,60}?\bden\s*(?:het\s*)?"
)
_DURATION = re.compile(
    r"(?:trong\s*(?:thoi\s*han|vong)?|thoi\s*han(?:\s*la)?|co\s*gia\s*tri(?:\s*su\s*dung)?|co\s*hieu\s*luc)"
    r"\s*:?\s*(\d{1,3})\s*(?:\([^)]{0,30}\)\s*)?(thang|nam|ngay)\s*,?\s*(?:ke\s*tu|tinh\s*tu|tu)\s*"
    r"(?:ngay\s*)?(cap|ky|ban\s*hanh)"
)
_FROM_SIGNING = re.compile(r"co\s*hieu\s*luc(?:\s*thi\s*hanh)?\s*(?:ke\s*)?tu\s*ngay\s*(?:ky|ban\s*hanh)")
_FROM_DATE = re.compile(r"co\s*hieu\s*luc(?:\s*thi\s*hanh)?\s*(?:ke\s*)?tu\s*(?=ngay\s*\d|\d)")
_PERMANENT = re.compile(
    r"(?:co\s*gia\s*tri|hieu\s*luc)\s*(?:su\s*dung\s*)?(?:vinh\s*vien|lau\s*dai|khong\s*(?:co\s*)?thoi\s*han)"
)
_UNITS = {"thang": "month", "nam": "year", "ngay": "day"}

PERMANENT_BY_RULE = frozenset(
    {
        "trich_luc_khai_sinh",
        "trich_luc_khai_tu",
        "trich_luc_ket_hon",
        "giay_khai_sinh",
        "giay_chung_tu",
        "gcn_ket_hon",
        "gcn_hkd",
        "gcn_dkdn",
        "gcn_qsdd",
    }
)
MONTHS_BY_RULE = {"xac_nhan_tinh_trang_hon_nhan": 6}


@dataclass
class ValidityFacts:
    kind: str | None = None  # "dated" | "permanent" | None (unknown)
    until: date | None = None
    valid_from: date | None = None
    span: tuple[int, int] | None = None  # in the folded text given
    confidence: float = 0.0
    problems: list[str] = field(default_factory=list)


def read_validity(folded: str, lo: int, hi: int, issued: date | None) -> ValidityFacts:
    """The first validity clause in ``folded[lo:hi]``; ``issued`` anchors durations."""
    facts = ValidityFacts()
    mf = _FROM_DATE.search(folded, lo, hi)
    if mf:
        ds = [d for d in find_dates(folded, mf.end(), min(hi, mf.end() + 40)) if d.start - mf.end() < 6]
        if ds and ds[0].value:
            facts.valid_from = ds[0].value
    for mu in _UNTIL.finditer(folded, lo, hi):
        ds = [d for d in find_dates(folded, mu.end(), min(hi, mu.end() + 45)) if d.start - mu.end() < 8]
        if ds and ds[0].value:
            d = ds[0]
            facts.kind, facts.until, facts.span = "dated", d.value, (mu.start(), d.end)
            facts.confidence = 0.5 if d.repaired else 0.95
            facts.problems = [m.OCR_REPAIRED] if d.repaired else []
            return facts
    md = _DURATION.search(folded, lo, hi)
    if md:
        facts.span = (md.start(), md.end())
        if issued is None:
            facts.problems = [m.NO_ISSUE_DATE]
            facts.kind, facts.confidence = "dated", 0.3
            return facts
        facts.kind = "dated"
        facts.until = add_period(issued, int(md.group(1)), _UNITS[md.group(2)])
        facts.confidence = 0.9
        return facts
    mp = _FROM_SIGNING.search(folded, lo, hi) or _PERMANENT.search(folded, lo, hi) or mf
    if mp:
        facts.kind, facts.span, facts.confidence = "permanent", (mp.start(), mp.end()), 0.9
    return facts


def apply_rules(facts: ValidityFacts, doc_type: str | None, issued: date | None) -> ValidityFacts:
    """Fill in what the law says for this document type when the page is silent."""
    if facts.kind is not None or doc_type is None:
        return facts
    if doc_type in PERMANENT_BY_RULE:
        return ValidityFacts("permanent", None, facts.valid_from, None, 0.85, [m.BY_RULE])
    months = MONTHS_BY_RULE.get(doc_type)
    if months and issued is not None:
        return ValidityFacts("dated", add_period(issued, months, "month"), facts.valid_from, None, 0.8, [m.BY_RULE])
    return facts
