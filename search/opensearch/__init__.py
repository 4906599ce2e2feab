"""OpenSearch backend: strict versioned index behind an alias, bulk writes with backoff."""

from __future__ import annotations

from search.opensearch.backend import OpenSearchBackend
from search.opensearch.client import RetryPolicy, make_client

__all__ = ["OpenSearchBackend", "RetryPolicy", "make_client"]
