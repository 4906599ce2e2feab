"""Archive store: originals named by SHA-256 and never modified; derived files per document.

Every write is atomic (temp file in the same directory, fsync, rename, fsync directory),
so a crash leaves either the old state or the complete new file, never half a file. An
original handed over with ``move=True`` skips the temp copy when it is on the archive's
filesystem: the file itself is fsynced, hard-linked under its name, the directory fsynced.
Files are created owner-only (0600) either way.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sohoa.core.vocab import FixityOutcome

CHUNK = 1024 * 1024
FILE_MODE = 0o600  # what mkstemp gives the copies; moved originals are set to the same
# link(2) errors meaning "not here" (another filesystem, no hard links): copy instead
_CANNOT_LINK = {errno.EXDEV, errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS}


@dataclass(frozen=True)
class StoredInfo:
    path: str  # relative to the archive root
    sha256: str
    size_bytes: int


@dataclass(frozen=True)
class FixityResult:
    outcome: FixityOutcome
    found_sha256: str | None = None
    detail: str | None = None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class ArchiveStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def abspath(self, relpath: str) -> Path:
        path = (self.root / relpath).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"path escapes the archive: {relpath}")
        return path

    @staticmethod
    def original_relpath(sha256: str) -> str:
        return f"originals/{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def put_original(self, source: Path, sha256: str, *, move: bool = False) -> StoredInfo:
        """Store ``source`` in the archive under its checksum; a no-op if already there.

        By default ``source`` is copied and left alone. ``move=True`` hands it over: on the
        archive's filesystem it becomes the original itself (no bytes copied), elsewhere it
        is copied; either way, and for a duplicate too, ``source`` is gone afterwards. The
        caller must not write to it any more.
        """
        relpath = self.original_relpath(sha256)
        target = self.abspath(relpath)
        if not target.exists() and not (move and self._link_atomic(source, target)):
            with source.open("rb") as fh:
                self._write_atomic(target, fh)
        if move:
            source.unlink(missing_ok=True)
        return StoredInfo(relpath, sha256, target.stat().st_size)

    @staticmethod
    def derived_relpath(document_id: str, name: str) -> str:
        """Where a derived artifact of a document lives, relative to the root."""
        if "/" in name or name.startswith("."):
            raise ValueError(f"bad artifact name: {name}")
        return f"derived/{document_id[:2]}/{document_id}/{name}"

    def put_derived(self, document_id: str, name: str, data: bytes) -> StoredInfo:
        """Write (or replace) a derived artifact of a document, e.g. ``page-0001.words.json``."""
        relpath = self.derived_relpath(document_id, name)
        target = self.abspath(relpath)
        self._write_atomic(target, io.BytesIO(data))
        return StoredInfo(relpath, hashlib.sha256(data).hexdigest(), len(data))

    def put_derived_file(self, document_id: str, name: str, source: Path) -> StoredInfo:
        relpath = self.derived_relpath(document_id, name)
        target = self.abspath(relpath)
        with source.open("rb") as fh:
            self._write_atomic(target, fh)
        return StoredInfo(relpath, sha256_file(target), target.stat().st_size)

    def verify(self, relpath: str, sha256: str) -> bool:
        return self.check(relpath, sha256).outcome == FixityOutcome.OK

    def check(self, relpath: str, sha256: str) -> FixityResult:
        """Hash the stored file again and compare it with the checksum recorded at write time."""
        path = self.abspath(relpath)
        try:
            found = sha256_file(path)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return FixityResult(FixityOutcome.MISSING)
        except OSError as exc:
            return FixityResult(FixityOutcome.UNREADABLE, detail=f"{type(exc).__name__}: {exc.strerror or exc}")
        if found != sha256:
            return FixityResult(FixityOutcome.MISMATCH, found_sha256=found)
        return FixityResult(FixityOutcome.OK)

    def available(self) -> bool:
        """Is the archive there at all (a volume not mounted must not read as every file missing)?"""
        return self.root.is_dir() and any(self.root.iterdir())

    @staticmethod
    def _link_atomic(source: Path, target: Path) -> bool:
        """Give ``source``'s bytes the name ``target`` without copying them: owner-only mode,
        fsync the file, hard-link it (atomic, never replaces an existing original), fsync the
        directory. False when this filesystem cannot link it there: the caller copies."""
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(source, os.O_RDONLY)
        try:
            os.fchmod(fd, FILE_MODE)
            os.fsync(fd)
            os.link(source, target)
        except FileExistsError:
            return True  # stored meanwhile by another upload of the same bytes
        except OSError as exc:
            if exc.errno in _CANNOT_LINK:
                return False
            raise
        finally:
            os.close(fd)
        _fsync_dir(target.parent)
        return True

    @staticmethod
    def _write_atomic(target: Path, source: BinaryIO) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in iter(lambda: source.read(CHUNK), b""):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)


def _fsync_dir(path: Path) -> None:
    dir_fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
