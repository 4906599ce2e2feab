"""Spooling an incoming file to a temp file while hashing it, without holding it in memory.

The API feeds chunks as they arrive from the network; the CLI and tests feed a stream.
Bytes beyond ``max_bytes`` are not kept: the temp file is dropped at once and only the
size keeps counting, so an oversized upload never fills the disk.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sohoa.core.errors import SohoaError, TooLarge, UnprocessableFile

CHUNK = 1024 * 1024
SPOOL_PREFIX = "upload-"
MAX_NAME_CHARS = 255
# Never in a display name: controls (Cc), format characters (Cf: the bidi overrides and
# isolates that make "hoso\u202efdp.exe" read "hosoexe.pdf", zero-width spaces and joiners,
# the BOM, soft hyphens), surrogates and private use, line and paragraph separators.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
_SPACES = re.compile(r"\s+")


def sanitize_filename(name: str | None) -> str:
    """A display name only: last path component, NFC, no control, bidi or zero-width
    characters, runs of white space as one space, bounded.

    Client names are never used to build paths; this keeps them printable and honest
    (what a clerk sees in a list or a download's Content-Disposition is what it says).
    """
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _INVISIBLE)
    text = _SPACES.sub(" ", text).strip()
    if text in {"", ".", ".."}:
        return "unnamed"
    if len(text) > MAX_NAME_CHARS:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            text = stem[: MAX_NAME_CHARS - len(ext) - 1] + "." + ext
        else:
            text = text[:MAX_NAME_CHARS]
    return text


@dataclass
class SpooledUpload:
    """One uploaded file after spooling: a temp path + checksum, or the error that stopped it."""

    filename: str
    path: Path | None
    sha256: str | None
    size_bytes: int
    error: SohoaError | None = None
    upload_id: str | None = None  # the resumable upload it came from: its batch item names it

    def discard(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None


class Spool:
    """Receives the bytes of one file in chunks; ``finish()`` returns a ``SpooledUpload``."""

    def __init__(self, tmp_dir: Path, max_bytes: int, filename: str | None) -> None:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        self.filename = sanitize_filename(filename)
        self.max_bytes = max_bytes
        self.size = 0
        self._digest = hashlib.sha256()
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix=SPOOL_PREFIX)
        self._path: Path | None = Path(name)
        self._fh: BinaryIO | None = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self._fh is None:
            return
        if self.size > self.max_bytes:
            self.abort()
            return
        self._digest.update(data)
        self._fh.write(data)

    def abort(self) -> None:
        """Drop whatever was written (too large, or the request broke off)."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if self._path is not None:
            self._path.unlink(missing_ok=True)
            self._path = None

    def finish(self) -> SpooledUpload:
        if self.size > self.max_bytes:
            self.abort()
            error = TooLarge(
                f"file is larger than the limit of {self.max_bytes} bytes",
                detail={"size_bytes": self.size, "max_bytes": self.max_bytes},
            )
            return SpooledUpload(self.filename, None, None, self.size, error)
        assert self._fh is not None and self._path is not None
        self._fh.close()
        self._fh = None
        if self.size == 0:
            self.abort()
            return SpooledUpload(self.filename, None, None, 0, UnprocessableFile("file is empty", code="empty_file"))
        return SpooledUpload(self.filename, self._path, self._digest.hexdigest(), self.size)


def spool_stream(stream: BinaryIO, *, tmp_dir: Path, max_bytes: int, filename: str | None) -> SpooledUpload:
    """Spool a readable binary stream (a local file, a request body) chunk by chunk."""
    spool = Spool(tmp_dir, max_bytes, filename)
    try:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            spool.write(chunk)
    except BaseException:
        spool.abort()
        raise
    return spool.finish()


def remove_stale_spool(tmp_dir: Path, *, older_than_seconds: float) -> list[str]:
    """Delete spool files no request is writing any more (a killed API leaves them behind).

    A live upload writes its spool file chunk by chunk, and a spooled file waits only while
    the rest of its request arrives, so one untouched for ``older_than_seconds`` (hours, set
    by ``spool_stale_hours``) belongs to a dead request. Returns the names removed.
    """
    if not tmp_dir.is_dir():
        return []
    cutoff = time.time() - older_than_seconds
    removed = []
    for path in tmp_dir.glob(f"{SPOOL_PREFIX}*"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path.name)
        except FileNotFoundError:  # finished (moved into the archive) while we looked
            continue
    return removed
