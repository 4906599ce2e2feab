"""``sohoa ingest``: upload files and folders through the HTTP API as one batch, then follow it.

It goes through the API rather than the database so that a clerk's machine needs only a
URL and a key, and so that every upload takes the same checks (type, size, duplicates).
"""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
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


def _request(client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
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


PART_FILES, PART_BYTES = 50, 64 * 1024 * 1024  # per request after the first


def upload_in_parts(client: httpx.Client, files: list[tuple[Path, str]], form: dict[str, str],
                    on_part: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Upload ``files`` as one batch in several requests; the combined answer.

    The first request carries the first file alone, so the batch exists and the workers
    start on it while the rest is still being sent; the others follow in parts of at most
    ``PART_FILES`` files or ``PART_BYTES`` bytes (one file over that size goes alone). A
    big folder is then never one huge request, and a network failure costs one part:
    what was sent stays in the batch, and sending the folder again links those files
    as duplicates. ``on_part(files_sent, files_total)`` reports progress.
    """
    parts = split_parts(files)
    batch = upload_batch(client, parts[0], form)
    batch_id = batch_id_of(batch)
    documents = documents_of(batch)
    sent = len(parts[0])
    if on_part:
        on_part(sent, len(files))
    for part in parts[1:]:
        try:
            added = upload_batch(client, part, {}, url=f"/api/v1/batches/{batch_id}/files")
        except IngestError as exc:
            raise IngestError(f"{exc.message}; batch {batch_id} holds the first {sent} of {len(files)} "
                              "files, which are being processed: send the folder again to add the rest "
                              "(files already sent are linked as duplicates)", code=exc.code) from exc
        documents += documents_of(added)
        batch["enqueued"] = bool(batch.get("enqueued", True)) and bool(added.get("enqueued", True))
        sent += len(part)
        if on_part:
            on_part(sent, len(files))
    batch["documents"] = documents
    return batch


def split_parts(files: list[tuple[Path, str]]) -> list[list[tuple[Path, str]]]:
    """The first file alone, then runs of files in their order up to the part limits."""
    parts: list[list[tuple[Path, str]]] = [files[:1]]
    size = 0
    for item in files[1:]:
        item_size = item[0].stat().st_size
        if len(parts) == 1 or len(parts[-1]) >= PART_FILES or (parts[-1] and size + item_size > PART_BYTES):
            parts.append([])
            size = 0
        parts[-1].append(item)
        size += item_size
    return parts


def upload_batch(client: httpx.Client, files: list[tuple[Path, str]],
                 form: dict[str, str], *, url: str = "/api/v1/batches") -> dict[str, Any]:
    """POST files as one multipart request; httpx streams the open files in chunks."""
    with ExitStack() as stack:
        parts = [
            ("files", (name, stack.enter_context(path.open("rb")),
                       mimetypes.guess_type(name)[0] or "application/octet-stream"))
            for path, name in files
        ]
        data = {k: v for k, v in form.items() if v}
        timeout = httpx.Timeout(30.0, write=None, read=600.0)
        response = _request(client, "POST", url, files=parts, data=data, timeout=timeout)
    return response.json()


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
    docs = [d for d in documents_of(batch) if d not in rejections(batch)]
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
        progress = progress_of(_request(client, "GET", f"/api/v1/batches/{batch_id}").json())
        on_progress(progress)
        if progress.finished:
            return progress
        if deadline is not None and time.monotonic() > deadline:
            raise IngestError(f"gave up waiting after {timeout:.0f}s: {progress.indexed} indexed, "
                              f"{progress.failed} failed of {progress.documents}; the batch "
                              f"continues on the server (GET /api/v1/batches/{batch_id})",
                              code="timeout")
        time.sleep(poll_seconds)
