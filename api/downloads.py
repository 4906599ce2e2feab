"""Sending archived files: the client's file name in ``Content-Disposition``, ETag, audit.

RFC 6266 with RFC 8187's ``filename*``: ``attachment; filename="Ho so Nguyen.pdf";
filename*=UTF-8''H%E1%BB%93%20s%C6%A1...``. Browsers use the UTF-8 ``filename*``; the plain
``filename`` is an ASCII fallback (Vietnamese folded to its letters, so it still reads).
Written here rather than taken from Starlette's ``FileResponse(filename=)``, which sends
only one of the two and passes control and bidi characters of a client's name through.
"""

from __future__ import annotations

import unicodedata
from pathlib import PurePath
from urllib.parse import quote

from fastapi.responses import FileResponse, Response
from sqlalchemy.orm import Session

from api.deps import Caller
from sohoa.core.errors import ServiceUnavailable
from sohoa.core.models import Document
from sohoa.domain import audit, vntext
from sohoa.storage.archive import ArchiveStore

MAX_NAME_CHARS = 150
# Characters allowed unescaped in an RFC 8187 value (attr-char), besides letters and digits.
_ATTR_CHARS = "!#$&+-.^_`|~"
# Bidi embeddings/overrides/isolates and marks, zero-width characters, BOM: they can make a
# name display as something else ("gpj.exe" shown reversed) or hide characters in it.
_INVISIBLE = frozenset("\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                       "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff")


def clean_filename(name: str, fallback: str) -> str:
    """The client's name fit for a header: NFC, only its last path part, without control,
    format (bidi, zero-width) or invisible characters, whitespace runs as one space, at most
    ``MAX_NAME_CHARS``; ``fallback`` when nothing is left."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/")
    name = PurePath(name.rsplit("/", 1)[-1]).name
    kept = "".join(c for c in name if c not in _INVISIBLE and unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co"))
    kept = " ".join(kept.split()).strip(" .")
    if not kept:
        return fallback
    if len(kept) > MAX_NAME_CHARS:
        stem, dot, ext = kept.rpartition(".")
        ext = ext if dot and len(ext) <= 10 else ""
        kept = (stem if ext else kept)[: MAX_NAME_CHARS - len(ext) - 1].rstrip() + (f".{ext}" if ext else "")
    return kept


def ascii_fallback(name: str) -> str:
    """``Hồ sơ "Đặng".pdf`` → ``Ho so _Dang_.pdf``: folded, anything else outside printable
    ASCII, and the quote and backslash a quoted-string would need escaped, as ``_``."""
    folded = vntext.fold(name)
    return "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in folded)


def content_disposition(name: str, *, fallback: str, disposition: str = "attachment") -> str:
    clean = clean_filename(name, fallback)
    return (f'{disposition}; filename="{ascii_fallback(clean)}"; '
            f"filename*=UTF-8''{quote(clean, safe=_ATTR_CHARS)}")


def send_archived(session: Session, caller: Caller, archive: ArchiveStore, document: Document,
                  owner: str | None, relpath: str, *, action: str, what: str, etag: str,
                  media_type: str, filename: str) -> Response:
    """Stream an archived file, after writing the read to the audit log (one event per read)."""
    path = archive.abspath(relpath)
    if not path.is_file():
        raise ServiceUnavailable(f"{what} is missing from the archive", code="archive_unavailable",
                                 detail={"document_id": document.id})
    audit.record(session, caller.principal, action, target_type="document", target_id=document.id,
                 owner_id=owner, purpose=caller.purpose, result_count=1)
    session.commit()
    return FileResponse(path, media_type=media_type, headers={
        "ETag": etag, "Cache-Control": "private, max-age=3600",
        "Content-Disposition": content_disposition(filename, fallback=f"{document.id}")})


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Does an ``If-None-Match`` header name ``etag`` (weak or strong, in a list, or ``*``)?"""
    if not if_none_match:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag in tags
