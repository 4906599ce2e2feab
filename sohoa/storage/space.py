"""Free disk space where sohoa writes: the archive and the temp directory of page work.

A worker checks it before taking a job and pauses while either is below
``min_free_disk_mb`` (writing into a full disk only turns healthy documents into failures);
``/healthz`` reports the same check as ``degraded`` with the reason. An upload is refused
up front by the same rule (``require_space``: 503 ``disk_full``, nothing stored).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sohoa.core.config import Settings
from sohoa.core.faults import TransientFault
from sohoa.core.vocab import FaultCode

MB = 1024 * 1024


@dataclass(frozen=True)
class DiskSpace:
    path: str
    free_bytes: int

    @property
    def free_mb(self) -> float:
        return self.free_bytes / MB


def watched_paths(settings: Settings) -> list[Path]:
    """The archive root and the temp directory, each once (the same filesystem twice is fine)."""
    paths = [settings.archive_root, Path(tempfile.gettempdir())]
    return list(dict.fromkeys(p for p in paths))


def free_space(path: Path) -> DiskSpace:
    """Free bytes for an unprivileged writer on ``path``'s filesystem (its nearest existing parent)."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    stats = os.statvfs(probe)
    return DiskSpace(str(path), stats.f_bavail * stats.f_frsize)


def low_space(settings: Settings, paths: list[Path] | None = None) -> str | None:
    """Why there is too little free space to work, or None when there is enough."""
    if settings.min_free_disk_mb <= 0:
        return None
    need = settings.min_free_disk_mb * MB
    for path in paths if paths is not None else watched_paths(settings):
        try:
            space = free_space(path)
        except OSError as exc:
            return f"cannot stat {path}: {exc.strerror}"
        if space.free_bytes < need:
            return (f"disk_full: {space.path} has {space.free_mb:.0f} MB free, "
                    f"below SOHOA_MIN_FREE_DISK_MB={settings.min_free_disk_mb}")
    return None


def require_space(settings: Settings, paths: list[Path]) -> None:
    """503 ``disk_full`` (Retry-After) when a path has less than ``min_free_disk_mb`` free:
    an upload is refused before a byte of it is stored or a batch is made. The answer names
    no server path (it goes to clients), only the figures."""
    if settings.min_free_disk_mb <= 0:
        return
    for path in paths:
        space = free_space(path)
        if space.free_bytes < settings.min_free_disk_mb * MB:
            raise TransientFault(FaultCode.DISK_FULL, "the archive has too little free disk space to store uploads "
                                 "now; nothing was stored, send again later",
                                 detail={"free_mb": round(space.free_mb), "min_free_mb": settings.min_free_disk_mb},
                                 headers={"Retry-After": "60"})


__all__ = ["DiskSpace", "free_space", "low_space", "require_space", "watched_paths"]
