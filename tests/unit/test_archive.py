"""Storing originals: copied, or handed over (moved) without copying their bytes (no services)."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path

import pytest

from sohoa.storage.archive import ArchiveStore


def spooled(tmp_path: Path, data: bytes, mode: int = 0o600) -> tuple[Path, str]:
    spool = tmp_path / "tmp" / "uploads"
    spool.mkdir(parents=True, exist_ok=True)
    path = spool / f"upload-{len(data)}"
    path.write_bytes(data)
    path.chmod(mode)
    return path, hashlib.sha256(data).hexdigest()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_copy_leaves_the_source_and_is_owner_only(tmp_path):
    archive = ArchiveStore(tmp_path / "archive")
    source, sha = spooled(tmp_path, b"scan bytes", mode=0o644)
    stored = archive.put_original(source, sha)
    target = archive.abspath(stored.path)
    assert stored.path == f"originals/{sha[:2]}/{sha[2:4]}/{sha}" and stored.size_bytes == 10
    assert target.read_bytes() == b"scan bytes" and source.exists()
    assert target.stat().st_ino != source.stat().st_ino and mode(target) == 0o600


def test_a_moved_original_on_the_same_filesystem_is_the_spooled_file_itself(tmp_path):
    archive = ArchiveStore(tmp_path / "archive")
    source, sha = spooled(tmp_path, b"scan bytes", mode=0o644)
    inode = source.stat().st_ino
    stored = archive.put_original(source, sha, move=True)
    target = archive.abspath(stored.path)
    assert not source.exists() and target.read_bytes() == b"scan bytes"
    assert target.stat().st_ino == inode and target.stat().st_nlink == 1  # no bytes copied
    assert mode(target) == 0o600  # as a copy would be, whatever the spooled file had
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".tmp-")]


def test_moving_bytes_already_stored_keeps_the_original_and_drops_the_source(tmp_path):
    archive = ArchiveStore(tmp_path / "archive")
    first, sha = spooled(tmp_path, b"same bytes")
    target = archive.abspath(archive.put_original(first, sha, move=True).path)
    inode = target.stat().st_ino
    again, _ = spooled(tmp_path, b"same bytes")
    assert archive.put_original(again, sha, move=True).size_bytes == 10
    assert not again.exists() and target.stat().st_ino == inode


def test_moving_loses_a_race_to_the_same_bytes_gracefully(tmp_path, monkeypatch):
    """Another upload links the same checksum between our existence check and our link."""
    archive = ArchiveStore(tmp_path / "archive")
    source, sha = spooled(tmp_path, b"raced bytes")
    monkeypatch.setattr(Path, "exists", lambda self: False)
    archive.put_original(spooled(tmp_path / "other", b"raced bytes")[0], sha, move=True)
    stored = archive.put_original(source, sha, move=True)
    assert not source.exists() and archive.abspath(stored.path).read_bytes() == b"raced bytes"


@pytest.mark.parametrize("code", [errno.EXDEV, errno.EPERM, errno.EOPNOTSUPP])
def test_where_it_cannot_be_linked_a_moved_original_is_copied(tmp_path, monkeypatch, code):
    """Another filesystem (the archive on its own volume), or one without hard links."""
    def cannot(src, dst):
        raise OSError(code, os.strerror(code), str(src))

    monkeypatch.setattr(os, "link", cannot)
    archive = ArchiveStore(tmp_path / "archive")
    source, sha = spooled(tmp_path, b"scan bytes")
    target = archive.abspath(archive.put_original(source, sha, move=True).path)
    assert not source.exists() and target.read_bytes() == b"scan bytes" and mode(target) == 0o600


def test_other_link_errors_are_not_hidden(tmp_path, monkeypatch):
    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "link", full)
    archive = ArchiveStore(tmp_path / "archive")
    source, sha = spooled(tmp_path, b"scan bytes")
    with pytest.raises(OSError) as info:
        archive.put_original(source, sha, move=True)
    assert info.value.errno == errno.ENOSPC and not archive.abspath(archive.original_relpath(sha)).exists()
