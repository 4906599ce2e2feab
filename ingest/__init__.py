"""Ingest: sniff, check limits, checksum, store originals, register batches. No web framework.

The API (or the CLI) spools each incoming file with ``Spool``/``spool_stream`` and hands
the results to ``ingest_batch``.
"""

from __future__ import annotations

from ingest.inspect import SUPPORTED_TYPES, FileInfo, inspect_file, sniff
from ingest.register import (
    BatchMeta,
    BatchOutcome,
    FileOutcome,
    check_file_count,
    check_meta,
    check_room,
    create_batch,
    ingest_batch,
    ingest_paths,
    open_batch,
    upload_tmp_dir,
)
from ingest.spool import Spool, SpooledUpload, remove_stale_spool, sanitize_filename, spool_stream

__all__ = [
    "SUPPORTED_TYPES",
    "BatchMeta",
    "BatchOutcome",
    "FileInfo",
    "FileOutcome",
    "Spool",
    "SpooledUpload",
    "check_file_count",
    "check_meta",
    "check_room",
    "create_batch",
    "ingest_batch",
    "ingest_paths",
    "inspect_file",
    "open_batch",
    "remove_stale_spool",
    "sanitize_filename",
    "sniff",
    "spool_stream",
    "upload_tmp_dir",
]
