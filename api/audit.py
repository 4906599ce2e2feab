"""Append-only audit of who read what (DOMAIN.md: every read of a record is logged)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sohoa.models import ApiKey, AuditEvent


def record(session: Session, key: ApiKey, action: str, *, target_type: str | None = None,
           target_id: str | None = None, result_count: int | None = None,
           detail: dict[str, Any] | None = None) -> None:
    """Add an audit event to the session; the caller commits it with its own work."""
    session.add(AuditEvent(key_id=key.id, role=key.role, agency=key.agency, action=action,
                           target_type=target_type, target_id=target_id,
                           result_count=result_count, detail=detail))
