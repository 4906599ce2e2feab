"""Field extraction from OCR'd page text of Vietnamese administrative documents.

``extract_fields(pages)`` returns every candidate (value, raw text, page, span, confidence,
validity problems, role); ``pick`` / ``best_fields`` / ``summarize`` choose one value per
field. Pure functions: no I/O, no settings.
"""

from __future__ import annotations

from sohoa.domain.extract._core import extract_fields
from sohoa.domain.extract._model import LOW_CONFIDENCE, ROLES, ExtractedField
from sohoa.domain.extract._summary import best_fields, owner_role, pick, segment_count, summarize
from sohoa.domain.extract.dates import add_months
from sohoa.domain.extract.doctype import COMPONENT, DOC_TYPES, RESULT, classify_title, doc_class
from sohoa.domain.extract.ids import check_cccd

__all__ = [
    "COMPONENT", "DOC_TYPES", "LOW_CONFIDENCE", "RESULT", "ROLES", "ExtractedField", "add_months",
    "best_fields", "check_cccd", "classify_title", "doc_class", "extract_fields", "owner_role", "pick",
    "segment_count", "summarize",
]
