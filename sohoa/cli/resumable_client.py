"""``sohoa ingest``'s tus client: one file through ``/api/v1/uploads``, surviving drops.

Written on httpx rather than taken from tuspy: tuspy brings requests, aiohttp and tinydb
next to our httpx, retries only a chunk (not the creation, nor the HEAD after a drop) after
a fixed pause without backoff, sends a fixed chunk size, and cannot read our completion
answer; what we need is small: create, HEAD, PATCH with a SHA-256 per chunk, GET.

Behaviour: the chunk size follows the line (about ``CHUNK_SECONDS`` of sending, between
``MIN_CHUNK`` and ``MAX_CHUNK``), so a drop costs at most a few seconds of bytes on a slow
line and chunks stay large on a fast one. After a dropped connection, a timeout or a
5xx/409/423/460 answer it waits (0.5 s, doubling to 30 s), asks the server for the stored
offset and goes on from there; it gives up (``api_unreachable``) only after
``stall_seconds`` without a byte stored. The upload URL is kept in the state file, so the
same command run again resumes it.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from sohoa.cli.ingest_client import IngestError, error_message, request
from sohoa.cli.upload_state import LocalFile, UploadState, run_key

TUS_VERSION = "1.0.0"
UPLOADS = "/api/v1/uploads"
MIN_CHUNK, FIRST_CHUNK, MAX_CHUNK = 64 * 1024, 256 * 1024, 16 * 1024 * 1024
CHUNK_SECONDS = 2.0
STALL_SECONDS = 300.0
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 30.0
TIMEOUT = httpx.Timeout(15.0, read=60.0, write=60.0)
RETRY_STATUSES = frozenset({409, 423, 460, 500, 502, 503, 504})
FILE_REFUSALS = frozenset({"file_too_large", "empty_file"})  # the file alone is refused, as in a multipart batch


@dataclass(frozen=True)
class Sent:
    """One file's outcome in the shape of a multipart upload's ``documents`` entry."""

    document: dict[str, Any]
    batch_id: str | None  # the batch it joined; None when refused before joining any


class _Gone(Exception):
    """The server no longer has the upload (expired, cancelled): start it again."""


def encode_metadata(values: dict[str, str]) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode('ascii')}" for k, v in values.items() if v)


def refused(name: str, error: dict[str, Any]) -> dict[str, Any]:
    return {"id": None, "filename": name, "status": "failed", "error": error}


class ResumableSender:
    def __init__(self, client: httpx.Client, state: UploadState, *, say: Callable[[str], None],
                 stall_seconds: float | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.client, self.state, self.say, self.sleep = client, state, say, sleep
        self.stall_seconds = STALL_SECONDS if stall_seconds is None else stall_seconds
        self.chunk = FIRST_CHUNK
        self._backoff = BACKOFF_FIRST
        self._progress_at = time.monotonic()

    def send(self, local: LocalFile, batch_id: str | None, new_batch: dict[str, str]) -> Sent:
        """Upload ``local`` into ``batch_id`` (or a new batch with ``new_batch`` codes)."""
        entry = self.state.file(local.key)
        if entry and entry.get("done") and batch_id is not None and entry.get("batch_id") == batch_id:
            self.say(f"  {local.name}: already sent in this batch")
            return Sent(entry["document"], batch_id)
        self._progress_at = time.monotonic()
        for _ in range(3):  # a vanished upload is started again, a few times at most
            found = self._resume(local, entry, batch_id)
            try:
                url, offset = found or self._create(local, batch_id, new_batch)
            except _Refusal as refusal:
                return Sent(refused(local.name, refusal.error), None)
            try:
                self._send_bytes(local, url, offset)
                result = self._result(url)
            except _Gone:
                self.state.drop_file(local.key)
                entry = None
                continue
            return self._outcome(local, result)
        raise IngestError(f"the server keeps losing the upload of {local.name}", code="api_error")

    def _outcome(self, local: LocalFile, result: dict[str, Any]) -> Sent:
        if result.get("state") == "done" and result.get("document"):
            joined = str(result["batch_id"])
            self.state.set_file(local.key, done=True, batch_id=joined, document=result["document"])
            return Sent(result["document"], joined)
        self.state.drop_file(local.key)
        return Sent(refused(local.name, result.get("error") or {"code": "upload_failed", "message": ""}), None)

    # --- the steps -------------------------------------------------------------------------

    def _resume(self, local: LocalFile, entry: dict[str, Any] | None, batch_id: str | None) -> tuple[str, int] | None:
        """A stored upload of this file to the same target, and its offset on the server."""
        if not entry or entry.get("done") or not entry.get("url"):
            return None
        url = str(entry["url"])
        if entry.get("target") != batch_id:  # meant for another batch: free its space on the server
            self._call("DELETE", url)
            self.state.drop_file(local.key)
            return None
        response = self._call("HEAD", url)
        if response.status_code != 200:
            self.state.drop_file(local.key)
            return None
        offset = int(response.headers.get("upload-offset", "0"))
        self.say(f"  resuming {local.name} at {_mb(offset)} of {_mb(local.size)}")
        return url, offset

    def _create(self, local: LocalFile, batch_id: str | None, new_batch: dict[str, str]) -> tuple[str, int]:
        meta = {"filename": local.name, "sha256": local.sha256}
        meta.update({"batch_id": batch_id} if batch_id else new_batch)
        headers = {"Upload-Length": str(local.size), "Upload-Metadata": encode_metadata(meta)}
        response = self._call("POST", UPLOADS, headers=headers)
        if response.status_code != 201:
            error = _error_of(response)
            if error.get("code") in FILE_REFUSALS:
                raise _Refusal(error)
            raise IngestError(f"the API refused to start uploading {local.name}: {error_message(response)}",
                              code="api_error")
        url = str(self.client.base_url.join(response.headers["location"]))
        self.state.set_file(local.key, url=url, target=batch_id, done=False)
        return url, int(response.headers.get("upload-offset", "0"))

    def _send_bytes(self, local: LocalFile, url: str, offset: int) -> None:
        with local.path.open("rb") as fh:
            while offset < local.size:
                fh.seek(offset)
                data = fh.read(min(self.chunk, local.size - offset))
                began = time.monotonic()
                # the whole file in one chunk: its SHA-256 is the file's, already known
                digest = bytes.fromhex(local.sha256) if offset == 0 and len(data) == local.size else None
                try:
                    response = self.client.patch(url, content=data, headers=self._chunk_headers(offset, data, digest),
                                                 timeout=TIMEOUT)
                except httpx.TransportError as exc:
                    self._pause(f"connection lost while sending {local.name} ({exc.__class__.__name__})")
                    offset = self._offset(url)
                    continue
                if response.status_code == 204:
                    stored = int(response.headers["upload-offset"])
                    self._progressed(len(data), time.monotonic() - began)
                    offset = stored
                    continue
                offset = self._after_refused_chunk(local, url, response)

    def _after_refused_chunk(self, local: LocalFile, url: str, response: httpx.Response) -> int:
        _check_key(response)
        if response.status_code in (404, 410):
            raise _Gone
        if response.status_code not in RETRY_STATUSES:
            raise IngestError(f"sending {local.name} failed: {error_message(response)}", code="api_error")
        self._pause(f"the API answered {response.status_code} for {local.name}")
        return self._offset(url)

    def _offset(self, url: str) -> int:
        response = self._call("HEAD", url)
        if response.status_code in (404, 410):
            raise _Gone
        if response.status_code != 200:
            raise IngestError(f"the API cannot say where the upload stands: {error_message(response)}",
                              code="api_error")
        return int(response.headers["upload-offset"])

    def _result(self, url: str) -> dict[str, Any]:
        """What the file became; a moment's wait while the server registers it."""
        while True:
            response = self._call("GET", url)
            if response.status_code in (404, 410):
                raise _Gone
            if response.status_code != 200:
                raise IngestError(f"the API did not say what became of the upload: {error_message(response)}",
                                  code="api_error")
            result: dict[str, Any] = response.json()
            if result.get("state") in ("done", "failed"):
                return result
            self._pause("the file is stored; waiting for the API to register it", quiet=True)

    # --- HTTP with retries -----------------------------------------------------------------

    def _chunk_headers(self, offset: int, data: bytes, digest: bytes | None = None) -> dict[str, str]:
        checksum = base64.b64encode(digest or hashlib.sha256(data).digest()).decode("ascii")
        return {"Tus-Resumable": TUS_VERSION, "Upload-Offset": str(offset), "Upload-Checksum": f"sha256 {checksum}",
                "Content-Type": "application/offset+octet-stream"}

    def _call(self, method: str, url: str, headers: dict[str, str] | None = None) -> httpx.Response:
        """One small request, retried through drops and 5xx until the stall limit."""
        while True:
            try:
                response = self.client.request(method, url, headers={"Tus-Resumable": TUS_VERSION, **(headers or {})},
                                               timeout=TIMEOUT)
            except httpx.TransportError as exc:
                self._pause(f"cannot reach the sohoa API at {self.client.base_url} ({exc.__class__.__name__})")
                continue
            _check_key(response)
            if response.status_code < 500:
                return response
            self._pause(f"the API answered {response.status_code}")

    def _progressed(self, sent: int, seconds: float) -> None:
        """Bytes were stored: reset the backoff and the stall clock, fit the chunk to the line.
        Only a full chunk tells the rate (a file's small last one is mostly latency); the
        size grows at most fourfold a step, so one lucky measure cannot make a huge chunk."""
        self._progress_at, self._backoff = time.monotonic(), BACKOFF_FIRST
        if sent < self.chunk:
            return
        fitted = sent / max(seconds, 1e-3) * CHUNK_SECONDS
        self.chunk = int(min(MAX_CHUNK, self.chunk * 4, max(MIN_CHUNK, fitted)))

    def _pause(self, why: str, *, quiet: bool = False) -> None:
        stalled = time.monotonic() - self._progress_at
        if stalled > self.stall_seconds:
            raise IngestError(f"{why}; nothing was stored for {stalled:.0f} s, giving up. Run the same command "
                              "again to resume where it stopped", code="api_unreachable")
        if not quiet:
            self.say(f"  {why}; retrying in {self._backoff:g} s")
        self.sleep(self._backoff)
        self._backoff = min(self._backoff * 2, BACKOFF_MAX)


class _Refusal(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", ""))
        self.error = error


def _check_key(response: httpx.Response) -> None:
    if response.status_code in (401, 403):
        raise IngestError(f"the API refused the key: {error_message(response)}; "
                          "pass a clerk or admin key with --api-key or SOHOA_API_KEY", code="key_refused")


def _error_of(response: httpx.Response) -> dict[str, Any]:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    return error if isinstance(error, dict) else {"code": f"http_{response.status_code}", "message": ""}


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def send_files(client: httpx.Client, files: list[tuple[Path, str]], codes: dict[str, str], state: UploadState, *,
               say: Callable[[str], None], stall_seconds: float | None = None,
               ) -> tuple[str | None, list[dict[str, Any]]]:
    """Every file, one after the other, into one batch: the first file's upload creates it
    (with ``codes``), the others join it. The same command run again continues that batch
    (``UploadState``). Returns the batch id and one ``documents`` entry per file."""
    api = str(client.base_url)
    request(client, "OPTIONS", UPLOADS)  # unreachable at the start: say so at once (exit 3), no retries
    run = run_key(api, files, codes)
    batch_id = state.run_batch(run)
    sender = ResumableSender(client, state, say=say, stall_seconds=stall_seconds)
    documents: list[dict[str, Any]] = []
    said_at = 0.0
    for done, (path, name) in enumerate(files, 1):
        try:
            sent = sender.send(LocalFile.of(path, name, api), batch_id, codes)
        except IngestError as exc:
            if batch_id is None:
                raise
            raise IngestError(f"{exc.message}; batch {batch_id} holds the first {done - 1} of {len(files)} files, "
                              "which are being processed: run the same command again to send the rest (the file "
                              "that was cut resumes where it stopped)", code=exc.code) from exc
        documents.append(sent.document)
        if batch_id is None and sent.batch_id is not None:
            batch_id = sent.batch_id
            state.set_run_batch(run, batch_id)
        if done < len(files) and time.monotonic() - said_at >= 2.0:
            say(f"  sent {done}/{len(files)} files")
            said_at = time.monotonic()
    return batch_id, documents
