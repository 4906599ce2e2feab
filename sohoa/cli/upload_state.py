"""What ``sohoa ingest`` remembers between runs: each file's resumable upload, each run's batch.

A small JSON file (default in the user's config folder, ``--state-file``), written whole to
a temp file and renamed, so a run killed at any moment leaves the old or the new version;
the changes of a run go to a journal beside it, folded into the file by the next run
(``UploadState``).
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
    """The state, loaded from the file and its journal.

    A change is one JSON line appended to the journal beside the file (``<name>.journal``),
    not a rewrite of the whole file: a week of entries is ~1 MB, and rewriting it three
    times per file sent cost the client more CPU than sending the files did. Loading
    replays the journal over the file and folds it in (one rewrite per run, only when
    something changed). A line cut short by a killed run is skipped: that one change is
    lost, as an unfinished rename of the whole file would have lost it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.journal = path.with_name(path.name + ".journal")
        self.data: dict[str, Any] = {"version": VERSION, "runs": {}, "files": {}}
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict) and loaded.get("version") == VERSION:
                self.data.update({k: loaded.get(k) or {} for k in ("runs", "files")})
        except (OSError, ValueError):
            pass  # no state yet, or unreadable: start afresh (uploads are still deduplicated by the server)
        replayed = self._replay()
        if self._prune() or replayed:
            self.save()

    def run_batch(self, key: str) -> str | None:
        entry = self.data["runs"].get(key)
        return entry.get("batch_id") if isinstance(entry, dict) else None

    def set_run_batch(self, key: str, batch_id: str) -> None:
        self._change("runs", key, {"batch_id": batch_id, "at": time.time()})

    def file(self, key: str) -> dict[str, Any] | None:
        entry = self.data["files"].get(key)
        return entry if isinstance(entry, dict) else None

    def set_file(self, key: str, **entry: Any) -> None:
        self._change("files", key, {**entry, "at": time.time()})

    def drop_file(self, key: str) -> None:
        if key in self.data["files"]:
            self._change("files", key, None)

    def save(self) -> None:
        """The whole state to the file (temp file, rename), then the journal folded into it is removed."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".ingest-state-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                # dumps, not dump: only the one-shot encoder is the C one (dump streams through
                # the pure-Python encoder, ~10x slower)
                out.write(json.dumps(self.data))
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.journal.unlink(missing_ok=True)  # a crash before this replays it again: same result

    def _change(self, section: str, key: str, entry: dict[str, Any] | None) -> None:
        """Apply one change and append it to the journal (``entry`` None: remove ``key``)."""
        if entry is None:
            self.data[section].pop(key, None)
        else:
            self.data[section][key] = entry
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"section": section, "key": key, "entry": entry}) + "\n"
        with self.journal.open("a", encoding="utf-8") as out:
            out.write(line)

    def _replay(self) -> bool:
        """The journal's changes over the loaded file; True when there were any."""
        try:
            lines = self.journal.read_text(encoding="utf-8").splitlines()
        except (OSError, ValueError):
            return False
        for line in lines:
            try:
                change = json.loads(line)
                section, key, entry = change["section"], change["key"], change["entry"]
            except (ValueError, TypeError, KeyError):
                continue  # cut short by a killed run
            if section in ("runs", "files") and isinstance(key, str):
                if isinstance(entry, dict):
                    self.data[section][key] = entry
                else:
                    self.data[section].pop(key, None)
        return True

    def _prune(self) -> bool:
        """Forget entries older than ``KEEP_DAYS``; True when any was forgotten."""
        horizon = time.time() - KEEP_DAYS * 86400
        pruned = False
        for section in ("runs", "files"):
            kept = {k: v for k, v in self.data[section].items()
                    if isinstance(v, dict) and float(v.get("at", 0)) >= horizon}
            pruned = pruned or len(kept) != len(self.data[section])
            self.data[section] = kept
        return pruned
