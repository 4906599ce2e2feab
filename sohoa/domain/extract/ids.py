"""Identifier shapes and checks: personal ID (CCCD), legacy CMND, tax code, document number.

Checks are structural only (no registry lookup): a personal ID says where the birth was
registered, the century and sex, and the last two digits of the birth year, so a printed birth
date or sex can confirm or contradict it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sohoa.domain.extract import _model as m

# Province-of-registration codes in use (63 provinces before the 2025 merger; existing IDs
# keep them). A code inside 001–096 but not listed is flagged, not rejected.
PROVINCE_CODES = frozenset(
    [
        "001",
        "002",
        "004",
        "006",
        "008",
        "010",
        "011",
        "012",
        "014",
        "015",
        "017",
        "019",
        "020",
        "022",
        "024",
        "025",
        "026",
        "027",
        "030",
        "031",
        "033",
        "034",
        "035",
        "036",
        "037",
        "038",
        "040",
        "042",
        "044",
        "045",
        "046",
        "048",
        "049",
        "051",
        "052",
        "054",
        "056",
        "058",
        "060",
        "062",
        "064",
        "066",
        "067",
        "068",
        "070",
        "072",
        "074",
        "075",
        "077",
        "079",
        "080",
        "082",
        "083",
        "084",
        "086",
        "087",
        "089",
        "091",
        "092",
        "093",
        "094",
        "095",
        "096",
    ]
)
_CENTURY = {0: 1900, 1: 1900, 2: 2000, 3: 2000}  # 4/5 = 2100s: nobody holds one yet


@dataclass(frozen=True)
class CccdCheck:
    valid: bool
    problems: list[str] = field(default_factory=list)
    birth_year: int | None = None
    sex: str | None = None  # "male" | "female"


def check_cccd(digits: str, *, birth_year: int | None = None, sex: str | None = None) -> CccdCheck:
    """Validate a 12-digit personal ID's structure, and against a printed birth year and sex."""
    if not re.fullmatch(r"\d{12}", digits):
        return CccdCheck(False, [m.CCCD_LENGTH])
    problems: list[str] = []
    valid = True
    province, century, yy = digits[:3], int(digits[3]), int(digits[4:6])
    if not 1 <= int(province) <= 96:
        valid = False
        problems.append(m.CCCD_PROVINCE)
    elif province not in PROVINCE_CODES:
        problems.append(m.CCCD_PROVINCE_UNKNOWN)
    if century not in _CENTURY:
        return CccdCheck(False, [*problems, m.CCCD_CENTURY])
    year = _CENTURY[century] + yy
    id_sex = "male" if century % 2 == 0 else "female"
    if birth_year is not None and birth_year != year:
        valid = False
        problems.append(m.CCCD_BIRTH_YEAR)
    if sex is not None and sex != id_sex:
        valid = False
        problems.append(m.CCCD_SEX)
    return CccdCheck(valid, problems, year, id_sex)


def check_tax_code(value: str) -> bool:
    """Enterprise / tax code: 10 digits, branches add ``-NNN``."""
    return re.fullmatch(r"\d{10}(-\d{3})?", value) is not None


# Document number after "Số:". Works on the prepared text (Ð already mapped to Đ).
_SYMBOL = r"[A-ZĐ&]+[A-ZĐ0-9&]*(?:\s*-\s*[A-ZĐ0-9&]+)*"
DOC_NO = re.compile(
    rf"(?P<num>[0-9OIl|SB]{{1,6}})\s*/\s*(?:(?P<year>[0-9OIl|SB]{{4}})(?![0-9A-Z])\s*(?:/\s*(?P<sym1>{_SYMBOL}))?"
    rf"|(?P<sym2>{_SYMBOL}))"
)
OPAQUE_NO = re.compile(r"[0-9A-Z][0-9A-Z.\-]{4,24}[0-9A-Z]")
_NUM_MAP = str.maketrans({"O": "0", "I": "1", "l": "1", "|": "1", "S": "5", "B": "8"})


@dataclass(frozen=True)
class DocNumber:
    value: str
    start: int
    end: int
    repaired: bool
    structured: bool  # matched the "number/symbol" shape rather than an opaque keyword


def parse_doc_no(text: str, start: int = 0) -> DocNumber | None:
    """Read a document number at ``text[start:]`` (leading spaces allowed)."""
    pos = start + len(text[start:]) - len(text[start:].lstrip())
    mt = DOC_NO.match(text, pos)
    if mt:
        num, year = mt.group("num"), mt.group("year")
        sym = mt.group("sym1") or mt.group("sym2")
        fixed_num = num.translate(_NUM_MAP)
        fixed_year = year.translate(_NUM_MAP) if year else None
        if fixed_num.isdigit() and (fixed_year is None or fixed_year.isdigit()):
            parts = [str(int(fixed_num)) if len(fixed_num) > 1 else fixed_num]
            if fixed_year:
                parts.append(fixed_year)
            if sym:
                parts.append(re.sub(r"\s+", "", sym))
            repaired = fixed_num != num or (year or "") != (fixed_year or "")
            return DocNumber("/".join(parts), mt.start(), mt.end(), repaired, True)
    mo = OPAQUE_NO.match(text, pos)
    if mo and any(ch.isdigit() for ch in mo.group(0)):
        return DocNumber(mo.group(0).replace(".", ""), mo.start(), mo.end(), False, False)
    return None
