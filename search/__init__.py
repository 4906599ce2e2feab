"""Search: one ``SearchBackend`` protocol, an embedded SQLite FTS5 backend and OpenSearch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from search.base import (
    FacetBucket,
    IndexedDocument,
    IndexedPage,
    IndexedPart,
    IndexedRecord,
    SearchBackend,
    SearchFilters,
    SearchHit,
    SearchQuery,
    SearchResult,
)

if TYPE_CHECKING:
    from sohoa.core.config import Settings

__all__ = [
    "FacetBucket",
    "IndexedDocument",
    "IndexedPage",
    "IndexedPart",
    "IndexedRecord",
    "SearchBackend",
    "SearchFilters",
    "SearchHit",
    "SearchQuery",
    "SearchResult",
    "open_backend",
]


def open_backend(settings: Settings) -> SearchBackend:
    """The backend the settings select; imported lazily so each needs only its own client."""
    if settings.search_backend == "opensearch":
        from search.opensearch import OpenSearchBackend

        return OpenSearchBackend.from_settings(settings)
    from search.sqlite_fts import SqliteSearchBackend

    return SqliteSearchBackend.from_settings(settings)
