"""What ``sohoa ingest`` remembers between runs: each file's resumable upload, each run's batch.

A small JSON file (default in the user's config folder, ``--state-file``), written whole to
a temp file and renamed, so a run killed at any moment leaves the old or the new version.
A file is known by its path, size, modification time and SHA-256 on that API: change any
of them and it is a new file. A run is known by its API, its files and its codes: the same
command again continues the same batch, resumes the upload that was cut, and skips files
already done. Entries older than ``KEEP_DAYS`` are dropped (the server forgets abandoned
uploads sooner anyway).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

KEEP_DAYS = 7
VERSION = 1


def default_state_file() -> Path:
    return Path(click.get_app_dir("sohoa")) / "ingest-uploads.json"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class LocalFile:
    """A file to send, with what identifies it for resuming."""

    path: Path
    name: str
    size: int
    sha256: str
    key: str

    @classmethod
    def of(cls, path: Path, name: str, api: str) -> LocalFile:
        stat = path.stat()
        sha256 = file_sha256(path)
        ident = f"{api}|{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{sha256}"
        return cls(path, name, stat.st_size, sha256, hashlib.sha256(ident.encode()).hexdigest())


def run_key(api: str, files: list[tuple[Path, str]], codes: dict[str, str]) -> str:
    """The same files (path, size, mtime) to the same API with the same codes: the same run."""
    parts = [api, json.dumps(codes, sort_keys=True)]
    for path, name in files:
        stat = path.stat()
        parts.append(f"{path.resolve()}|{name}|{stat.st_size}|{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class UploadState:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = {"version": VERSION, "runs": {}, "files": {}}
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict) and loaded.get("version") == VERSION:
                self.data.update({k: loaded.get(k) or {} for k in ("runs", "files")})
        except (OSError, ValueError):
            pass  # no state yet, or unreadable: start afresh (uploads are still deduplicated by the server)
        self._prune()

    def run_batch(self, key: str) -> str | None:
        entry = self.data["runs"].get(key)
        return entry.get("batch_id") if isinstance(entry, dict) else None

    def set_run_batch(self, key: str, batch_id: str) -> None:
        self.data["runs"][key] = {"batch_id": batch_id, "at": time.time()}
        self.save()

    def file(self, key: str) -> dict[str, Any] | None:
        entry = self.data["files"].get(key)
        return entry if isinstance(entry, dict) else None

    def set_file(self, key: str, **entry: Any) -> None:
        self.data["files"][key] = {**entry, "at": time.time()}
        self.save()

    def drop_file(self, key: str) -> None:
        if self.data["files"].pop(key, None) is not None:
            self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".ingest-state-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                # dumps, not dump: only the one-shot encoder is the C one (dump streams through
                # the pure-Python encoder, ~10x slower: a week of entries is ~0.5 MB per write)
                out.write(json.dumps(self.data))
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _prune(self) -> None:
        horizon = time.time() - KEEP_DAYS * 86400
        for section in ("runs", "files"):
            self.data[section] = {k: v for k, v in self.data[section].items()
                                  if isinstance(v, dict) and float(v.get("at", 0)) >= horizon}
