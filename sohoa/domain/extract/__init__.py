"""Field extraction from OCR'd page text of Vietnamese administrative documents.

``extract_fields(pages)`` returns every candidate (value, raw text, page, span, confidence,
validity problems, role); ``pick`` / ``best_fields`` / ``summarize`` choose one value per
field. Pure functions: no I/O, no settings.
"""

from __future__ import annotations

from sohoa.domain.extract._core import extract_fields
from sohoa.domain.extract._layout import MOTTO, MOTTO2, SO_LABEL, is_issuer_line
from sohoa.domain.extract._model import LOW_CONFIDENCE, ROLES, ExtractedField
from sohoa.domain.extract._summary import best_fields, owner_role, pick, segment_count, summarize
from sohoa.domain.extract._text import Line, split_lines
from sohoa.domain.extract.dates import add_months, find_dates
from sohoa.domain.extract.doctype import (
    COMPONENT,
    DOC_TYPES,
    RESULT,
    classify_title,
    doc_class,
    looks_like_title,
    more_specific,
)
from sohoa.domain.extract.ids import check_cccd, parse_doc_no

__all__ = [
    "COMPONENT", "DOC_TYPES", "LOW_CONFIDENCE", "MOTTO", "MOTTO2", "RESULT", "ROLES", "SO_LABEL", "ExtractedField",
    "Line", "add_months", "best_fields", "check_cccd", "classify_title", "doc_class", "extract_fields", "find_dates",
    "is_issuer_line", "looks_like_title", "more_specific", "owner_role", "parse_doc_no", "pick", "segment_count",
    "split_lines", "summarize",
]
