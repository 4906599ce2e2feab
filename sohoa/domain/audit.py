"""Append-only audit of who read or changed what (DOMAIN.md, "Personal data").

Every read of a record, a document's text or a file by an officer or a portal, every
correction, and every sign-in, sign-out and account change adds exactly one ``AuditEvent``
naming who: the user (``user_id``) or the API key (``key_id``) of the ``Principal``. Nothing
in the code base updates or deletes one: there is no route for it and this module only
ever inserts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sohoa.core.clock import utcnow
from sohoa.core.models import AuditEvent
from sohoa.domain.principal import Principal


def event_values(who: Principal | None, action: str, *, target_type: str | None = None,
                 target_id: str | None = None, owner_id: str | None = None, purpose: str | None = None,
                 result_count: int | None = None, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """The columns of one event, stamped now: what ``record`` adds to a session and what a
    request hands the process's group-commit writer (``sohoa.services.AuditWriter``), so
    both paths write the same event."""
    return {"at": utcnow(), "key_id": who.key_id if who else None, "user_id": who.user_id if who else None,
            "role": who.role if who else None, "agency": who.agency if who else None, "action": action,
            "target_type": target_type, "target_id": target_id, "owner_id": owner_id, "purpose": purpose,
            "result_count": result_count, "detail": detail}


def record(session: Session, who: Principal | None, action: str, *, target_type: str | None = None,
           target_id: str | None = None, owner_id: str | None = None, purpose: str | None = None,
           result_count: int | None = None, detail: dict[str, Any] | None = None) -> AuditEvent:
    """Add an audit event to the session; the caller commits it with its own work, so a read
    that fails before the commit leaves no event and a logged read always happened.
    ``who`` is None only for the server's operator (``sohoa users`` on the command line)
    and for failed sign-ins with an unknown username."""
    event = AuditEvent(**event_values(who, action, target_type=target_type, target_id=target_id,
                                      owner_id=owner_id, purpose=purpose, result_count=result_count,
                                      detail=detail))
    session.add(event)
    return event
