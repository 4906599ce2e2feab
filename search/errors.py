"""Indexing failures every backend reports the same way, so workers can react to them.

Two kinds matter to the worker: the engine is unreachable (keep the document, mark its
``index_state`` pending, let the reconciler retry later) and the engine refused a
document for good (mark it failed with a reason; retrying will not help).
"""

from __future__ import annotations

from typing import Any

from sohoa.core.errors import ServiceUnavailable, SohoaError


class SearchUnavailable(ServiceUnavailable):
    """The search engine cannot be reached or keeps failing after retries: try again later."""

    code = "search_unavailable"


class DocumentRejected(SohoaError):
    """The engine refused these documents permanently (mapping/parsing errors).

    ``document_ids`` names the refused documents; the others of the same call were indexed.
    ``reasons`` maps each refused id to the engine's error type and reason.
    """

    code, status = "index_rejected", 422

    def __init__(self, message: str, *, document_ids: list[str], reasons: dict[str, Any] | None = None) -> None:
        super().__init__(message, detail={"document_ids": document_ids, "reasons": reasons or {}})
        self.document_ids = document_ids
        self.reasons = reasons or {}
