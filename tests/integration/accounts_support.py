"""Helpers of the accounts tests: signing in over HTTP, sessions and events from the database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from sohoa.core.clock import utcnow
from sohoa.core.config import Settings
from sohoa.core.db import session_scope
from sohoa.core.models import AuditEvent, SignInFailure, User, UserSession
from sohoa.domain.accounts import SESSION_COOKIE, csrf_token
from sohoa.domain.accounts.sessions import start_session


def quick_lockout(settings: Settings) -> Settings:
    """Small lock limits and no slowing down, so lockout tests take no time."""
    return settings.model_copy(update={"signin_max_failures": 3, "signin_max_failures_per_address": 5,
                                       "signin_failure_delay_seconds": 0.0})


def sign_in(client: Any, username: str, password: str) -> Any:
    client.cookies.clear()  # what the client's jar holds is never what a test means to send
    response = client.post("/api/v1/session", json={"username": username, "password": password})
    client.cookies.clear()
    return response


def session_headers(token: str, *, csrf: bool = True) -> dict[str, str]:
    headers = {"Cookie": f"{SESSION_COOKIE}={token}"}
    if csrf:
        headers["X-CSRF-Token"] = csrf_token(token)
    return headers


def signed_in_headers(response: Any) -> dict[str, str]:
    """The headers a browser sends after the sign-in ``response``."""
    assert response.status_code == 201, response.text
    return session_headers(response.cookies[SESSION_COOKIE])


def add_user(session_factory: sessionmaker[Session], password_hash: str, username: str, role: str,
             agency: str | None = None) -> tuple[int, str]:
    """A user with the test password and a live session: (id, session token)."""
    with session_scope(session_factory) as session:
        user = User(username=username, display_name=username.title(), role=role, agency=agency,
                    password_hash=password_hash, must_change_password=False)
        session.add(user)
        session.flush()
        return user.id, start_session(session, user, now=utcnow())[1]


def age_sessions(session_factory: sessionmaker[Session], user_id: int, *, seen: timedelta,
                 created: timedelta | None = None) -> None:
    """Pretend the user's sessions were last used ``seen`` ago (and started ``created`` ago)."""
    values: dict[str, Any] = {"last_seen_at": utcnow() - seen}
    if created is not None:
        values["created_at"] = utcnow() - created
    with session_scope(session_factory) as session:
        session.execute(update(UserSession).where(UserSession.user_id == user_id).values(**values))


def age_failures(session_factory: sessionmaker[Session], by: timedelta) -> None:
    with session_scope(session_factory) as session:
        for row in session.scalars(select(SignInFailure)):
            row.at -= by


def events(session_factory: sessionmaker[Session], action: str) -> list[AuditEvent]:
    with session_factory() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def count(session_factory: sessionmaker[Session], model: Any) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0
