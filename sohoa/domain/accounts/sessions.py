"""Sign-in sessions kept in the database: start, resolve (with idle and absolute expiry), end.

The cookie carries a random 256-bit token; the database holds only its SHA-256 (like API
keys, the token has too much entropy for a slow hash to add anything), so a copy of the
database signs nobody in. Ending a session is a row update: it stops working at once, on
every API process.

The CSRF token is derived from the session token (HMAC-SHA256 of a fixed label, keyed by the
token): bound to this one session, unknown to anyone who cannot read the HttpOnly cookie,
and checkable by any process without a database lookup or a server secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session, joinedload

from sohoa.core.clock import utcnow
from sohoa.core.config import Settings
from sohoa.core.errors import Unauthorized
from sohoa.core.models import User, UserSession
from sohoa.core.vocab import SessionEnd, SessionExpiry

SESSION_COOKIE = "sohoa_session"
CSRF_HEADER = "X-CSRF-Token"
_CSRF_LABEL = b"sohoa csrf v1"
TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most once a minute per session
KEEP_ENDED = timedelta(days=30)  # ended sessions are kept this long (who signed in from where)


@dataclass(frozen=True)
class SessionRules:
    idle: timedelta
    max_age: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionRules:
        return cls(idle=timedelta(minutes=settings.session_idle_minutes),
                   max_age=timedelta(hours=settings.session_max_hours))

    def idle_expires_at(self, row: UserSession) -> datetime:
        return row.last_seen_at + self.idle

    def expires_at(self, row: UserSession) -> datetime:
        return row.created_at + self.max_age


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_token(token: str) -> str:
    """The CSRF token of the session whose cookie carries ``token``."""
    return hmac.new(token.encode("utf-8"), _CSRF_LABEL, hashlib.sha256).hexdigest()


def csrf_matches(token: str, sent: str | None) -> bool:
    return sent is not None and hmac.compare_digest(csrf_token(token), sent.strip())


def start_session(session: Session, user: User, *, now: datetime, address: str | None = None,
                  user_agent: str | None = None) -> tuple[UserSession, str]:
    """A new session for ``user``; returns the row and the token for the cookie (not stored)."""
    token = secrets.token_urlsafe(32)
    row = UserSession(token_hash=token_hash(token), user_id=user.id, created_at=now, last_seen_at=now,
                      client_address=(address or None) and address[:64],
                      user_agent=(user_agent or None) and user_agent[:256])
    row.user = user
    session.add(row)
    session.flush()
    return row, token


def resolve(session: Session, token: str, rules: SessionRules, *, now: datetime | None = None) -> UserSession:
    """The live session of ``token``, its user loaded, its last use recorded (at most once
    a minute). 401 ``invalid_session`` for an unknown, ended or disabled one, 401
    ``session_expired`` (detail: idle or absolute) for one past a limit."""
    now = now or utcnow()
    row = session.scalar(select(UserSession).where(UserSession.token_hash == token_hash(token))
                         .options(joinedload(UserSession.user)))
    if row is None or row.revoked_at is not None or row.user.disabled:
        raise Unauthorized("you are not signed in (the session ended); sign in again", code="invalid_session")
    reason = None
    if now >= rules.expires_at(row):
        reason = SessionExpiry.ABSOLUTE
    elif now >= rules.idle_expires_at(row):
        reason = SessionExpiry.IDLE
    if reason is not None:
        raise Unauthorized("your session has expired; sign in again", code="session_expired",
                           detail={"reason": reason})
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return row


def end_session(row: UserSession, reason: SessionEnd, *, now: datetime | None = None) -> None:
    if row.revoked_at is None:
        row.revoked_at, row.ended_reason = now or utcnow(), reason


def sign_out(session: Session, token: str, *, now: datetime | None = None) -> UserSession | None:
    """End the session of ``token``; returns it when it was still open (expired or not),
    None when there was nothing to end, so signing out twice is harmless."""
    row = session.scalar(select(UserSession).where(UserSession.token_hash == token_hash(token))
                         .options(joinedload(UserSession.user)))
    if row is None or row.revoked_at is not None:
        return None
    end_session(row, SessionEnd.SIGNED_OUT, now=now)
    return row


def end_user_sessions(session: Session, user_id: int, reason: SessionEnd, *, now: datetime | None = None,
                      keep: int | None = None) -> None:
    """End every live session of a user (all but ``keep``, the one making the request)."""
    statement = (update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
                 .values(revoked_at=now or utcnow(), ended_reason=reason))
    if keep is not None:
        statement = statement.where(UserSession.id != keep)
    session.execute(statement)


def purge_old(session: Session, rules: SessionRules, *, now: datetime) -> None:
    """Forget sessions that ended (or expired) more than ``KEEP_ENDED`` ago."""
    cutoff = now - KEEP_ENDED
    session.execute(delete(UserSession).where(or_(UserSession.revoked_at < cutoff,
                                                  UserSession.created_at < cutoff - rules.max_age)))
