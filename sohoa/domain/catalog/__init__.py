"""Lists a staff screen pages through: batches, documents, the review queue.

Read models only (no web framework): each list is a filtered, ordered, paged query that
loads what its rows show in a fixed number of queries, whatever the page size.
"""

from __future__ import annotations

from sohoa.domain.catalog._common import MAX_OFFSET, MAX_PAGE_SIZE, ListPage, Paging, Scope, day_bounds
from sohoa.domain.catalog.batches import (
    BatchFilters,
    BatchSummary,
    CodeUse,
    batch_codes,
    list_batches,
    may_see,
    visible,
)
from sohoa.domain.catalog.documents import DocumentFilters, DocumentRow, list_documents, review_counts
from sohoa.domain.catalog.review import FlaggedPage, ReviewFilters, ReviewItem, review_queue

__all__ = [
    "MAX_OFFSET", "MAX_PAGE_SIZE", "BatchFilters", "BatchSummary", "CodeUse", "DocumentFilters", "DocumentRow",
    "FlaggedPage", "ListPage", "Paging", "ReviewFilters", "ReviewItem", "Scope", "batch_codes", "day_bounds",
    "list_batches",
    "list_documents", "may_see", "review_counts", "review_queue", "visible",
]
