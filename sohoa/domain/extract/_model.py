"""The one data shape every extractor returns, plus the stable problem codes.

A field is a *candidate*: several may exist for one name (a label match, a loose match, an
OCR-repaired reading). Keeping them all, each with where it came from and how sure we are,
lets an officer see why a value was chosen and correct it; ``pick`` chooses, never mutates.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Field names (stable: stored by the records layer and used by the API).
DOC_TYPE = "doc_type"
DOC_CLASS = "doc_class"  # "result" (kết quả) or "component" (thành phần hồ sơ)
DOC_NO = "doc_no"
ISSUED = "issued"
ISSUER = "issuer"
VALID_FROM = "valid_from"
VALID_UNTIL = "valid_until"
VALIDITY = "validity"  # "permanent" | "dated"; absent means unknown
PERSON_NAME = "name"
CCCD = "cccd"
CMND = "cmnd"
BIRTH_DATE = "birth_date"
BIRTH_YEAR = "birth_year"
SEX = "sex"
TAX_CODE = "tax_code"
BUSINESS_NO = "business_no"

# Roles of a person on a page. `subject` is the person the document is about when the label
# does not say more.
ROLES = ("subject", "child", "mother", "father", "requester", "representative", "deceased",
         "husband", "wife")

# Problem codes (stable).
OCR_REPAIRED = "ocr_digits_repaired"
INVALID_DATE = "invalid_date"
CCCD_LENGTH = "cccd_length_invalid"
CCCD_PROVINCE = "cccd_province_invalid"
CCCD_PROVINCE_UNKNOWN = "cccd_province_unknown"
CCCD_CENTURY = "cccd_century_invalid"
CCCD_BIRTH_YEAR = "birth_year_mismatch"
CCCD_SEX = "sex_mismatch"
UNLABELED = "unlabeled"
BY_RULE = "validity_by_rule"
NO_ISSUE_DATE = "validity_needs_issue_date"
TAX_CODE_SHAPE = "tax_code_invalid"

LOW_CONFIDENCE = 0.5  # a candidate at or below this must be confirmed by an officer


@dataclass
class ExtractedField:
    """One candidate value found on a page.

    ``value`` is normalized (ISO date, digits only, Title Case name, stable code); ``raw`` is
    the text as printed, at ``span`` (character offsets in page ``page``'s NFC text).
    ``segment`` counts documents inside one file (a stack scanned as one PDF), from 0.
    """

    name: str
    value: str
    raw: str
    confidence: float
    page: int
    span: tuple[int, int]
    valid: bool = True
    problems: list[str] = field(default_factory=list)
    role: str | None = None
    segment: int = 0

    @property
    def key(self) -> str:
        """``name`` for the subject or role-less fields, else ``<role>_<name>`` (child_cccd)."""
        if self.role in (None, "subject"):
            return self.name
        return f"{self.role}_{self.name}"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["span"] = list(self.span)
        out["key"] = self.key
        return out


def rank(f: ExtractedField) -> tuple[bool, float, int, int]:
    """Sort key, best first after ``reverse=True``: valid, then confident, then earliest."""
    return (f.valid, f.confidence, -f.page, -f.span[0])
