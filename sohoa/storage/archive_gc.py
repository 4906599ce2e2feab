"""Archive files nothing refers to: originals without a document, temp files of dead writes.

An original is stored before its document row is committed (a row must never point at a
file that is not there yet), so a failed commit or a process killed between the two leaves
a complete original that no document names. A write killed halfway leaves a ``.tmp-*``
file beside its target. Neither harms anything but disk space; ``sohoa archive-gc`` finds
them and, unless asked only to list them, deletes the ones older than a safety margin, so
an upload being registered at that moment is never touched.

Deleting an original races with an upload of the same bytes, which may find the file and
reference it a moment after the check. So a candidate is first renamed aside, the
database asked once more, and the file put back if a document appeared meanwhile.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sohoa.core.models import Document
from sohoa.storage.archive import ArchiveStore

CHUNK = 500
SHA256_HEX = frozenset("0123456789abcdef")


@dataclass
class GcReport:
    originals: list[str] = field(default_factory=list)  # archive-relative paths
    temp_files: list[str] = field(default_factory=list)
    bytes: int = 0


def collect_garbage(archive: ArchiveStore, sessions: sessionmaker[Session], *, older_than: timedelta,
                    delete: bool) -> GcReport:
    """Unreferenced originals and stale temp files older than ``older_than``; deleted
    when ``delete`` (else only reported)."""
    report = GcReport()
    if delete:
        _recover_aside(archive, sessions)
    cutoff = time.time() - older_than.total_seconds()
    originals, candidates = archive.root / "originals", []
    for path in _old_files(archive.root, cutoff):  # one walk: temp files anywhere, originals
        if path.name.startswith(".tmp-"):
            report.temp_files.append(path.relative_to(archive.root).as_posix())
            report.bytes += path.stat().st_size
            if delete:
                path.unlink(missing_ok=True)
        elif _is_original(path) and path.is_relative_to(originals):
            candidates.append(path)
    for start in range(0, len(candidates), CHUNK):
        chunk = candidates[start:start + CHUNK]
        known = _referenced(sessions, [p.name for p in chunk])
        for path in chunk:
            if path.name in known:
                continue
            relpath, size = path.relative_to(archive.root).as_posix(), path.stat().st_size
            if delete and not _delete_original(path, sessions):
                continue  # referenced after all: an upload of the same bytes just arrived
            report.originals.append(relpath)
            report.bytes += size
    return report


def _old_files(root: Path, cutoff: float) -> Iterator[Path]:
    if not root.is_dir():
        return
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            path = Path(dirpath) / name
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    yield path
            except FileNotFoundError:  # removed while we walked
                continue


def _is_original(path: Path) -> bool:
    return len(path.name) == 64 and set(path.name) <= SHA256_HEX


def _referenced(sessions: sessionmaker[Session], digests: list[str]) -> set[str]:
    with sessions() as session:
        return set(session.scalars(select(Document.sha256).where(Document.sha256.in_(digests))))


def _recover_aside(archive: ArchiveStore, sessions: sessionmaker[Session]) -> None:
    """Finish what a killed earlier run left renamed aside: back if referenced, else gone."""
    root = archive.root / "originals"
    for aside in root.glob("*/*/.gc-*") if root.is_dir() else ():
        path = aside.with_name(aside.name.removeprefix(".gc-"))
        if _referenced(sessions, [path.name]) and not path.exists():
            os.replace(aside, path)
        else:
            aside.unlink(missing_ok=True)


def _delete_original(path: Path, sessions: sessionmaker[Session]) -> bool:
    """Rename aside, re-check, then unlink (True) or put back (False)."""
    aside = path.with_name(f".gc-{path.name}")
    os.replace(path, aside)
    if _referenced(sessions, [path.name]):
        if not path.exists():  # else the new upload linked its own copy of the same bytes
            os.replace(aside, path)
            return False
        aside.unlink()
        return False
    aside.unlink()
    return True
