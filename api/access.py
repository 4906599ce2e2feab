"""What a caller may reach: a document (portals only those that are approved records).

What an agency limits (lists of batches, documents and the review queue; batches by id) is
defined once, for people and keys alike, in ``sohoa.domain.scope`` (``Scope.of(principal)``).
Reads of one document by id and search are not scoped: finding a citizen's paper wherever it
was filed is what the archive is for (DOMAIN.md, "Reuse before review").
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.deps import Caller
from sohoa.core.errors import Forbidden, NotFound
from sohoa.core.models import Document, Part, Record
from sohoa.core.vocab import Role
from sohoa.domain.records import served_to_portals


def load_document(session: Session, document_id: str) -> Document:
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound(f"no document with id {document_id}", detail={"document_id": document_id})
    return document


def load_for(session: Session, document_id: str, caller: Caller, *,
             serve_unconfirmed: bool) -> tuple[Document, str | None]:
    """The document and its first record's owner; a portal only reaches documents that are
    records it may be served (``served_to_portals``: anything else is a 404 to it, as if it
    did not exist), and
    only files holding one paper document: of a stack it gets the part's files
    (``/api/v1/parts/{id}/…``, the record's links), never other people's papers."""
    document = load_document(session, document_id)
    records = list(session.scalars(select(Record).where(Record.document_id == document_id)
                                   .order_by(Record.created_at, Record.id)))
    if caller.role == Role.PORTAL:
        if not served_to_portals(session, records, serve_unconfirmed=serve_unconfirmed):
            raise NotFound(f"no document with id {document_id}", detail={"document_id": document_id})
        if (session.scalar(select(func.count()).select_from(Part).where(Part.document_id == document_id)) or 0) > 1:
            raise Forbidden("this file holds several documents: use the part's files (the record's links)",
                            code="part_only", detail={"document_id": document_id})
    return document, records[0].owner_id if records else None


def filters_detail(filters: Any) -> dict[str, Any]:
    """The filters of a list that were set, as JSON for its audit event."""
    out: dict[str, Any] = {}
    for f in fields(filters):
        value = getattr(filters, f.name)
        if value is not None:
            out[f.name] = value.isoformat() if isinstance(value, date) else value
    return out
