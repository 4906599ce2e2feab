"""Bulk loading pages with per-item retry and per-document failure accounting.

A ``_bulk`` call can partly succeed: items refused with 429/5xx are resent (with
backoff) on their own; items refused with 4xx (mapping/parsing errors) are permanent and
reported by document id so the worker fails only those documents.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from opensearchpy import OpenSearch

from search.errors import SearchUnavailable
from search.opensearch.client import RETRY_STATUSES, RetryPolicy, call, error_reason

MAX_ACTIONS = 500
MAX_BYTES = 8 * 1024 * 1024  # well under http.max_content_length (100 MB)


@dataclass(frozen=True)
class PageAction:
    """One page to write: target index, deterministic id, source, owning document."""

    index: str
    id: str
    document_id: str
    source: dict[str, Any]
    require_alias: bool = False  # writing through an alias must never auto-create an index

    def lines(self) -> list[dict[str, Any]]:
        meta: dict[str, Any] = {"_index": self.index, "_id": self.id}
        if self.require_alias:
            meta["require_alias"] = True
        return [{"index": meta}, self.source]

    def size(self) -> int:
        return len(self.source.get("text", "")) * 2 + 512  # rough UTF-8 bytes, good enough


def chunks(actions: Iterable[PageAction]) -> Iterator[list[PageAction]]:
    """Group actions so each request stays small enough for any cluster's limits."""
    chunk: list[PageAction] = []
    size = 0
    for action in actions:
        if chunk and (len(chunk) >= MAX_ACTIONS or size + action.size() > MAX_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(action)
        size += action.size()
    if chunk:
        yield chunk


def bulk_write(
    client: OpenSearch,
    actions: Iterable[PageAction],
    policy: RetryPolicy,
    *,
    refresh: bool | str = False,
) -> dict[str, dict[str, Any]]:
    """Write every action; return ``{document_id: reason}`` for permanently refused ones."""
    rejected: dict[str, dict[str, Any]] = {}
    for chunk in chunks(actions):
        rejected.update(_write_chunk(client, chunk, policy, refresh))
    return rejected


def _write_chunk(
    client: OpenSearch, chunk: list[PageAction], policy: RetryPolicy, refresh: bool | str
) -> dict[str, dict[str, Any]]:
    rejected: dict[str, dict[str, Any]] = {}
    pending = chunk
    for attempt in range(policy.attempts):
        body = [line for action in pending for line in action.lines()]
        response = call(policy, "bulk", partial(client.bulk, body=body, refresh=refresh))
        if not response.get("errors"):
            return rejected
        retry: list[PageAction] = []
        for action, item in zip(pending, response["items"], strict=True):
            result = next(iter(item.values()))
            status = int(result.get("status", 200))
            if status < 300:
                continue
            if status in RETRY_STATUSES:
                retry.append(action)
            else:
                rejected.setdefault(action.document_id, error_reason(result.get("error")))
        if not retry:
            return rejected
        pending = retry
        if attempt + 1 < policy.attempts:
            time.sleep(policy.delay(attempt))
    raise SearchUnavailable(
        "search engine kept refusing bulk items (throttled or failing)",
        detail={"document_ids": sorted({a.document_id for a in pending})},
    )
