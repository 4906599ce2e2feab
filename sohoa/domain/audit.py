"""Append-only audit of who read or changed what (DOMAIN.md, "Personal data").

Every read of a record, a document's text or a file by an officer or a portal, and every
correction, adds exactly one ``AuditEvent``. Nothing in the code base updates or deletes
one: there is no route for it and this module only ever inserts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sohoa.core.models import ApiKey, AuditEvent


def record(session: Session, key: ApiKey | None, action: str, *, target_type: str | None = None,
           target_id: str | None = None, owner_id: str | None = None, purpose: str | None = None,
           result_count: int | None = None, detail: dict[str, Any] | None = None) -> AuditEvent:
    """Add an audit event to the session; the caller commits it with its own work, so a read
    that fails before the commit leaves no event and a logged read always happened."""
    event = AuditEvent(key_id=key.id if key else None, role=key.role if key else None,
                       agency=key.agency if key else None, action=action, target_type=target_type,
                       target_id=target_id, owner_id=owner_id, purpose=purpose,
                       result_count=result_count, detail=detail)
    session.add(event)
    return event
