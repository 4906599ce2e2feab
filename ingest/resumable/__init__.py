"""Resumable uploads (tus 1.0): creation, offsets, chunks, termination, expiry. No HTTP here.

The bytes of an unfinished upload live in ``<archive>/uploads/<id>.part``; its row in
``uploads`` holds the acknowledged offset, which never runs ahead of the bytes on disk.

- ``uploads``: who asks (``Uploader``), creation under the caller's quota, status, cancelling;
- ``chunks``: each chunk written, checked, fsynced, then acknowledged, one writer at a time;
- ``expiry``: abandoned uploads removed (the reconciler runs ``expire_uploads``).

A complete upload becomes a file of its batch in ``ingest.resumable_finish``.
"""

from __future__ import annotations

from ingest.resumable.chunks import ChunkWriter, open_chunk
from ingest.resumable.expiry import expire_uploads
from ingest.resumable.uploads import (
    Uploader,
    UploadStatus,
    create_upload,
    part_path,
    terminate_upload,
    upload_status,
)

__all__ = [
    "ChunkWriter",
    "UploadStatus",
    "Uploader",
    "create_upload",
    "expire_uploads",
    "open_chunk",
    "part_path",
    "terminate_upload",
    "upload_status",
]
