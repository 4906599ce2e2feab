"""``sohoa ingest``: the files to send, the API's answers, and following a batch to its end.

It goes through the API rather than the database so that a clerk's machine needs only a
URL and a key, and so that every upload takes the same checks (type, size, duplicates).
The files themselves go up resumably (``resumable_client.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from sohoa.core.errors import SohoaError


class IngestError(SohoaError):
    """Something the person running ``sohoa ingest`` must fix (path, URL, key)."""

    code, status = "ingest_failed", 400


@dataclass
class Progress:
    pages_done: int = 0
    pages_total: int = 0
    documents: int = 0
    indexed: int = 0
    failed: int = 0
    waiting_for_index: int = 0  # read, not yet searchable: the search index is unreachable or busy
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.indexed + self.failed >= self.documents


def collect_files(paths: list[Path]) -> list[tuple[Path, str]]:
    """Files to upload with their display names, sorted, hidden files and folders skipped.

    A file named explicitly is taken even if hidden: the person asked for it.
    """
    found: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_file():
            found.append((path, path.name))
        elif path.is_dir():
            found.extend((f, f.relative_to(path).as_posix()) for f in _walk(path))
        elif path.exists():
            raise IngestError(f"{path} is neither a file nor a folder", code="bad_path")
        else:
            raise IngestError(f"{path} does not exist", code="bad_path")
    if not found:
        raise IngestError("no files to upload (hidden files are skipped)", code="no_files")
    return found


def _walk(root: Path) -> Iterator[Path]:
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            yield from _walk(entry)
        elif entry.is_file():
            yield entry


def error_message(response: httpx.Response) -> str:
    """The API's ``{"error": {"code", "message"}}`` as one line, whatever the status."""
    try:
        err = response.json().get("error") or {}
        return f"{err.get('message') or response.reason_phrase} [{err.get('code', response.status_code)}]"
    except (ValueError, AttributeError):
        return f"HTTP {response.status_code} {response.reason_phrase}"


def request(client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TransportError as exc:
        raise IngestError(f"cannot reach the sohoa API at {client.base_url} ({exc.__class__.__name__}: "
                          f"{exc}); is `sohoa run` running? (set --api-url / SOHOA_API_URL)",
                          code="api_unreachable") from exc
    if response.status_code in (401, 403):
        raise IngestError(f"the API refused the key: {error_message(response)}; "
                          "pass a clerk or admin key with --api-key or SOHOA_API_KEY",
                          code="key_refused")
    if response.status_code >= 400:
        raise IngestError(f"{method} {url} failed: {error_message(response)}", code="api_error")
    return response


def batch_id_of(batch: dict[str, Any]) -> str:
    for key in ("id", "batch_id"):
        if batch.get(key):
            return str(batch[key])
    raise IngestError("the API answered without a batch id", code="api_error")


def documents_of(batch: dict[str, Any]) -> list[dict[str, Any]]:
    return list(batch.get("documents") or batch.get("items") or batch.get("files") or [])


def rejections(batch: dict[str, Any]) -> list[dict[str, Any]]:
    """Files the API refused at upload (they have an error and no document)."""
    return [d for d in documents_of(batch) if not d.get("document_id", d.get("id")) or
            d.get("status") == "rejected"]


def describe_error(error: Any) -> str:
    if isinstance(error, dict):
        return f"{error.get('message', '')} [{error.get('code', '?')}]".strip()
    return str(error or "unknown error")


def progress_of(batch: dict[str, Any]) -> Progress:
    refused = rejections(batch)  # once, not once per document (80 documents polled once a second)
    docs = [d for d in documents_of(batch) if d not in refused]
    progress = Progress(documents=len(docs))
    for doc in docs:
        progress.pages_total += int(doc.get("pages_total") or 0)
        progress.pages_done += int(doc.get("pages_done") or 0)
        if doc.get("status") == "indexed":
            progress.indexed += 1
        elif doc.get("status") == "failed":
            progress.failed += 1
            progress.failures.append(doc)
        elif doc.get("waiting_for_index"):
            progress.waiting_for_index += 1
    return progress


def follow_batch(client: httpx.Client, batch_id: str, on_progress: Callable[[Progress], None], *,
                 poll_seconds: float = 1.0, timeout: float | None = None) -> Progress:
    """Poll the batch until every document is indexed or failed (or ``timeout`` passes)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        progress = progress_of(request(client, "GET", f"/api/v1/batches/{batch_id}").json())
        on_progress(progress)
        if progress.finished:
            return progress
        if deadline is not None and time.monotonic() > deadline:
            raise IngestError(f"gave up waiting after {timeout:.0f}s: {progress.indexed} indexed, "
                              f"{progress.failed} failed of {progress.documents}; the batch "
                              f"continues on the server (GET /api/v1/batches/{batch_id})",
                              code="timeout")
        time.sleep(poll_seconds)
