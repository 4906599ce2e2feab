"""``search_after`` deep paging, including engines whose scores do not round-trip.

OpenSearch scores are 32-bit floats; a hit's ``sort`` value is their shortest decimal,
which parses back to the same float, so ``search_after = [score, document_id, page]``
is exact. Some OpenSearch-compatible servers (osmem-server, the CI test double) keep
scores as doubles but print them as floats, so the cursor never equals a score: a whole
tie group is skipped or repeated. For those, ``InexactCursor`` starts just above the
cursor's score group and drops, on our side, every hit not strictly after the cursor,
fetching more when a page comes up short. Same results, more work, only for such engines.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

Search = Callable[[dict[str, Any]], dict[str, Any]]


def as_float32(score: float) -> float:
    """The score as the engine holds it (a 32-bit float), widened exactly to a double."""
    return struct.unpack("<f", struct.pack("<f", score))[0]


def next_float32_up(score: float) -> float:
    """The smallest float32 above ``score`` (the cursor's group is then strictly below it)."""
    bits = struct.unpack("<i", struct.pack("<f", as_float32(score)))[0]
    bits = bits + 1 if bits >= 0 else bits - 1
    return struct.unpack("<f", struct.pack("<i", bits))[0]


def sort_key(sort: list[Any]) -> tuple[float, str, int]:
    """Total order of hits: score descending, then document_id, then page."""
    return (-float(sort[0]), str(sort[1]), int(sort[2]))


def exact_page(search: Search, body: dict[str, Any], after: list[Any]) -> dict[str, Any]:
    return search({**body, "search_after": [as_float32(after[0]), after[1], after[2]]})


def inexact_page(search: Search, body: dict[str, Any], after: list[Any], max_fetch: int = 10_000) -> dict[str, Any]:
    """One page strictly after ``after`` on an engine whose score cursor is unreliable."""
    size = int(body["size"])
    cursor = sort_key(after)
    fetch = size + 16
    start = [next_float32_up(float(after[0])), "", 0]
    while True:
        response = search({**body, "size": fetch, "search_after": start})
        raw = response["hits"]["hits"]
        kept = [h for h in raw if sort_key(h["sort"]) > cursor]
        if len(kept) >= size or len(raw) < fetch or fetch >= max_fetch:
            response["hits"]["hits"] = kept[:size]
            return response
        fetch = min(max_fetch, fetch * 2)
