"""Reusable records (issue 5): each part's extracted result, who it is about, whether it holds.

Domain services only (no web framework): building a record from extracted fields, officers'
corrections with history, lookups by ID valid on a day, and ID masking.
"""

from __future__ import annotations

from sohoa.domain.records.build import refresh_from_document, refresh_parts
from sohoa.domain.records.corrections import EDITABLE, apply_changes, as_text, find_record
from sohoa.domain.records.facets import search_facets
from sohoa.domain.records.hits import RecordSummary, record_summaries, summary_of_page
from sohoa.domain.records.ids import ID_FIELDS, id_type, mask_id, mask_in_text, normalize_id, parse_owner_id
from sohoa.domain.records.part_edits import merge_parts, move_boundary, split_part
from sohoa.domain.records.portal import LoadedFacts, failed_id_records, has_failed_id, served_to_portals
from sohoa.domain.records.query import (
    LOOKUP_ROLES,
    RecordFacts,
    lookup_records,
    lookup_rows,
    owner_clause,
    valid_on_clause,
    validity_input,
)

__all__ = [
    "EDITABLE",
    "ID_FIELDS",
    "LOOKUP_ROLES",
    "LoadedFacts",
    "RecordFacts",
    "RecordSummary",
    "apply_changes",
    "as_text",
    "failed_id_records",
    "find_record",
    "has_failed_id",
    "id_type",
    "lookup_records",
    "lookup_rows",
    "mask_id",
    "mask_in_text",
    "merge_parts",
    "move_boundary",
    "normalize_id",
    "owner_clause",
    "parse_owner_id",
    "record_summaries",
    "refresh_from_document",
    "refresh_parts",
    "search_facets",
    "served_to_portals",
    "split_part",
    "summary_of_page",
    "valid_on_clause",
    "validity_input",
]
