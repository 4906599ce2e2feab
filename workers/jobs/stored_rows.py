"""The ``StoredFile`` rows of a document's derived files (a page's words and PDF, the
searchable PDF), written with statements built once: a file stored again under the same
path updates its row (checksum, size, time), a new one gets a row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from sohoa.core.models import StoredFile, table_of
from sohoa.core.vocab import FileKind
from sohoa.storage.archive import StoredInfo

_FILES = table_of(StoredFile)
_FILES_AT = select(_FILES.c.id, _FILES.c.kind, _FILES.c.path).where(
    _FILES.c.document_id == bindparam("document"), _FILES.c.path.in_(bindparam("paths", expanding=True)))
_SET_FILE = update(_FILES).where(_FILES.c.id == bindparam("file_id"))
_ADD_FILE = insert(_FILES)


def store_file_rows(session: Session, document_id: str, stored: Sequence[tuple[FileKind, StoredInfo]],
                    now: datetime) -> None:
    """A row per file of ``stored`` (its kind, and where the archive put it)."""
    if not stored:
        return
    rows = session.execute(_FILES_AT, {"document": document_id, "paths": [info.path for _, info in stored]})
    known = {(kind, path): file_id for file_id, kind, path in rows}
    for kind, info in stored:
        file_id = known.get((kind, info.path))
        if file_id is not None:
            session.execute(_SET_FILE, {"file_id": file_id, "sha256": info.sha256,
                                        "size_bytes": info.size_bytes, "created_at": now})
        else:
            session.execute(_ADD_FILE, {"document_id": document_id, "kind": kind, "path": info.path,
                                        "sha256": info.sha256, "size_bytes": info.size_bytes, "created_at": now})
