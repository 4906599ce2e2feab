"""The tus 1.0 headers whose meaning is ours: ``Upload-Metadata`` and ``Upload-Checksum``.

Parsed and validated here, without a web framework, into plain values with stable error
codes; ``api/routes/uploads.py`` only moves them between HTTP and ``ingest.resumable``.

Metadata contract (every value base64 of UTF-8, as tus defines it):

* ``filename`` (required): the display name, as for a multipart upload.
* ``batch_id``: the batch the file joins (the caller's own, or any for an admin). Without
  it the upload creates a new batch when it completes, with the optional ``agency_code``,
  ``procedure_code`` and ``note`` (which are refused next to ``batch_id``: that batch's
  codes apply).
* ``sha256``: the whole file's SHA-256 (hex); checked when the last byte arrives.
* ``filetype``: accepted and ignored (tus clients send it; the type is read from the bytes).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from ingest.register import BatchMeta, check_meta
from ingest.spool import sanitize_filename
from sohoa.core.errors import BadRequest
from sohoa.core.inputs import refuse_nul
from sohoa.core.vocab import ChecksumAlgorithm

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,expiration,checksum,termination"
CHECKSUM_ALGORITHMS = ",".join(a.value for a in ChecksumAlgorithm)
METADATA_KEYS = frozenset({"filename", "filetype", "batch_id", "agency_code", "procedure_code", "note", "sha256"})
NEW_BATCH_KEYS = ("agency_code", "procedure_code", "note")
MAX_METADATA_CHARS = 16 * 1024
_HEX_ID = re.compile(r"^[0-9a-f]{32}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_DIGEST_BYTES = {ChecksumAlgorithm.SHA1: 20, ChecksumAlgorithm.SHA256: 32}


@dataclass(frozen=True)
class UploadMeta:
    """What a creation request asks for, validated."""

    filename: str
    batch_id: str | None  # None: the upload creates a batch
    batch: BatchMeta  # codes and note of the batch it creates (empty when joining one)
    sha256: str | None
    raw: str  # the header as sent, echoed by HEAD


@dataclass(frozen=True)
class Checksum:
    algorithm: ChecksumAlgorithm
    digest: bytes

    def hasher(self) -> Any:
        """A fresh hash object of the algorithm (``hashlib`` types are not importable names)."""
        return hashlib.new(self.algorithm.value)


def invalid(message: str, field: str | None = None) -> BadRequest:
    return BadRequest(message, code="invalid_metadata", detail={"field": field} if field else None)


def parse_metadata(header: str | None) -> dict[str, str]:
    """``key base64, key base64, key`` → ``{key: text}``; every malformed pair is a 400."""
    raw = (header or "").strip()
    if len(raw) > MAX_METADATA_CHARS:
        raise invalid(f"Upload-Metadata is longer than {MAX_METADATA_CHARS} characters")
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        key, _, encoded = item.partition(" ")
        if key in pairs:
            raise invalid(f"the metadata key {key!r} is given twice", key)
        try:
            pairs[key] = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise invalid(f"the metadata value of {key!r} is not base64 of UTF-8 text", key) from exc
        refuse_nul(key, "Upload-Metadata")
        refuse_nul(pairs[key], key)
    return pairs


def read_upload_meta(header: str | None) -> UploadMeta:
    """Validate a creation request's metadata against the contract in the module docstring."""
    pairs = parse_metadata(header)
    unknown = sorted(set(pairs) - METADATA_KEYS)
    if unknown:
        raise BadRequest(f"unknown metadata key(s): {', '.join(unknown)}", code="invalid_metadata",
                         detail={"field": unknown[0], "accepted": sorted(METADATA_KEYS)})
    filename = pairs.get("filename", "").strip()
    if not filename:
        raise invalid("the metadata must name the file: `filename`", "filename")
    batch_id = pairs.get("batch_id", "").strip().lower() or None
    if batch_id is not None and not _HEX_ID.match(batch_id):
        raise invalid("batch_id must be a batch id (32 hexadecimal characters)", "batch_id")
    given = [k for k in NEW_BATCH_KEYS if pairs.get(k, "").strip()]
    if batch_id is not None and given:
        raise invalid(f"{given[0]} applies to a new batch only; a file joining batch {batch_id} takes "
                      "that batch's codes", given[0])
    sha256 = pairs.get("sha256", "").strip().lower() or None
    if sha256 is not None and not _SHA256.match(sha256):
        raise invalid("sha256 must be 64 hexadecimal characters", "sha256")
    try:
        batch = check_meta(BatchMeta(pairs.get("agency_code"), pairs.get("procedure_code"), pairs.get("note")))
    except BadRequest as exc:
        raise BadRequest(exc.message, code="invalid_metadata", detail=exc.detail) from exc
    return UploadMeta(sanitize_filename(filename), batch_id, batch, sha256, (header or "").strip())


def parse_checksum(header: str | None) -> Checksum | None:
    """``Upload-Checksum: <algorithm> <base64 digest>``; an unknown algorithm is a 400."""
    if header is None or not header.strip():
        return None
    name, _, encoded = header.strip().partition(" ")
    try:
        algorithm = ChecksumAlgorithm(name.lower())
    except ValueError:
        raise BadRequest(f"checksum algorithm {name!r} is not supported; use one of {CHECKSUM_ALGORITHMS}",
                         code="unsupported_checksum_algorithm",
                         detail={"accepted": [a.value for a in ChecksumAlgorithm]}) from None
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        digest = b""
    if len(digest) != _DIGEST_BYTES[algorithm]:
        raise BadRequest(f"Upload-Checksum must be `{algorithm} <base64 of the {_DIGEST_BYTES[algorithm]}-byte "
                         "digest>`", code="invalid_checksum")
    return Checksum(algorithm, digest)
