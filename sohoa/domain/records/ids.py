"""Identifier normalization and masking for lookups and list views.

DOMAIN.md: strip spaces and dots inside numbers before matching. Masking keeps enough of a
number for a person to recognise which one it is (``0021******82``) without disclosing it.
"""

from __future__ import annotations

import re

from sohoa.core.errors import BadRequest
from sohoa.core.vocab import IdType

_CCCD = re.compile(r"^\d{12}$")
_CMND = re.compile(r"^\d{9}$")
_ENTERPRISE = re.compile(r"^\d{10}(-\d{3})?$")
_SEPARATORS = re.compile(r"[\s.]+")
# Field names whose values are ID numbers (masked for roles that do not need them).
ID_FIELDS = frozenset({"cccd", "cmnd", "tax_code", "owner_id", "person_id"})


def normalize_id(value: str) -> str:
    """``001 085.000 111`` → ``001085000111``: spaces and dots removed, nothing else changed."""
    return _SEPARATORS.sub("", value or "")


def id_type(value: str) -> str | None:
    """``cccd`` (12 digits), ``cmnd`` (9), ``enterprise`` (10, or 10-3), else None."""
    if _CCCD.match(value):
        return IdType.CCCD
    if _CMND.match(value):
        return IdType.CMND
    if _ENTERPRISE.match(value):
        return IdType.ENTERPRISE
    return None


def parse_owner_id(value: str) -> str:
    """A lookup ID as sent by a portal, normalized; 400 ``invalid_owner_id`` if it is no ID."""
    normalized = normalize_id(value)
    if id_type(normalized) is None:
        raise BadRequest("owner_id must be a 12-digit personal ID, a 9-digit ID card number or "
                         "an enterprise code (10 digits, optionally -NNN)", code="invalid_owner_id",
                         detail={"owner_id": value})
    return normalized


def mask_id(value: str | None) -> str | None:
    """Keep the first 4 and last 2 characters of an ID (``0021******82``); short values fully."""
    if not value:
        return value
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 6) + value[-2:]


def mask_in_text(text: str | None) -> str | None:
    """Mask every run of 9-12 digits (IDs) inside free text such as a raw OCR excerpt."""
    if not text:
        return text
    return re.sub(r"(?<!\d)\d[\d .]{7,14}\d(?!\d)",
                  lambda m: mask_id(normalize_id(m.group(0))) or "", text)
