"""Checking a password a person typed: signing in, and changing one's own password.

Both go through the same throttle (a wrong current password on the change form counts like
a failed sign-in, or an unlocked office PC would be a way to guess it). The answers never
tell an unknown username from a wrong password: same code, same message, same time (an
unknown username is verified against a dummy hash). Only the right password of a disabled
account hears that it is disabled. Audit events name the account tried, and the address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sohoa.core.errors import BadRequest, Forbidden, Unauthorized
from sohoa.core.models import User, UserSession
from sohoa.core.vocab import SessionEnd
from sohoa.domain import audit
from sohoa.domain.accounts import sessions, throttle
from sohoa.domain.accounts.passwords import (
    PasswordPolicy,
    burn_verification,
    hash_password,
    needs_rehash,
    normalize_password,
    verify_password,
)
from sohoa.domain.accounts.sessions import SessionRules
from sohoa.domain.accounts.throttle import ThrottleRules
from sohoa.domain.accounts.users import normalize_username
from sohoa.domain.principal import Principal


class InvalidCredentials(Unauthorized):
    """Wrong username or password; the API waits ``delay_seconds`` before answering."""

    code = "invalid_credentials"

    def __init__(self, delay_seconds: float) -> None:
        super().__init__("wrong username or password")
        self.delay_seconds = delay_seconds


class WrongCurrentPassword(BadRequest):
    code = "wrong_current_password"

    def __init__(self, delay_seconds: float) -> None:
        super().__init__("the current password is wrong")
        self.delay_seconds = delay_seconds


@dataclass(frozen=True)
class Client:
    """Where an attempt came from (the address counts against the per-address limit)."""

    address: str
    user_agent: str | None = None


@dataclass(frozen=True)
class SignedIn:
    user: User
    row: UserSession
    token: str  # for the cookie; never stored


def _attempt_name(username: str) -> str:
    return normalize_username(username)[:128]


def sign_in(session: Session, username: str, password: str, client: Client, *, rules: ThrottleRules,
            session_rules: SessionRules, now: datetime) -> SignedIn:
    """Check the password under the throttle and start a session. Commits (the throttle's
    reservation must be visible to concurrent attempts before the slow hash runs)."""
    name = _attempt_name(username)
    throttle.check_not_locked(session, rules, name, client.address, now)
    row_id = throttle.reserve(session, rules, name, client.address, now)
    user = session.scalar(select(User).where(User.username == name))
    if user is None:
        burn_verification(password)
        ok = False
    else:
        ok = verify_password(user.password_hash, password)
    if not ok:
        delay = _count_failure(session, rules, row_id, name, client, user, now, "session.sign_in_failed")
        raise InvalidCredentials(delay)
    assert user is not None
    throttle.succeeded(session, name)
    who = Principal.of_user(user)
    if user.disabled:
        audit.record(session, who, "session.sign_in_refused", target_type="user", target_id=str(user.id),
                     detail={"reason": "account_disabled", "address": client.address})
        session.commit()
        raise Forbidden("this account is disabled; ask an admin", code="account_disabled")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    sessions.purge_old(session, session_rules, now=now)
    row, token = sessions.start_session(session, user, now=now, address=client.address,
                                        user_agent=client.user_agent)
    user.last_sign_in_at = now
    audit.record(session, Principal.of_user(user, session_id=row.id), "session.sign_in", target_type="session",
                 target_id=str(row.id), detail={"address": client.address})
    session.commit()
    return SignedIn(user=user, row=row, token=token)


def _count_failure(session: Session, rules: ThrottleRules, row_id: int, name: str, client: Client,
                   user: User | None, now: datetime, action: str) -> float:
    """Keep the failure, audit it (and a lock it caused), commit; the delay to answer after."""
    failure = throttle.failed(session, rules, row_id, name, client.address, now)
    who = Principal.of_user(user) if user is not None else None
    detail = {"username": name, "address": client.address, "failures": failure.username_failures}
    audit.record(session, who, action, target_type="user", target_id=str(user.id) if user else None,
                 detail=detail)
    for scope, until in failure.locked.items():
        audit.record(session, who, "session.locked", target_type="user",
                     target_id=str(user.id) if user else None,
                     detail={**detail, "scope": scope, "until": until.isoformat()})
    session.commit()
    return rules.delay_after(failure.username_failures)


def change_password(session: Session, row: UserSession, current: str, new: str, client: Client, *,
                    policy: PasswordPolicy, rules: ThrottleRules, now: datetime) -> None:
    """The signed-in user replaces their password (required first when it was one-time).
    The user's other sessions end; this one goes on. Commits."""
    user = row.user
    value = policy.check(new, username=user.username)
    if value == normalize_password(current):
        raise BadRequest("the new password must differ from the current one", code="password_unchanged")
    throttle.check_not_locked(session, rules, user.username, client.address, now)
    row_id = throttle.reserve(session, rules, user.username, client.address, now)
    if not verify_password(user.password_hash, current):
        delay = _count_failure(session, rules, row_id, user.username, client, user, now,
                               "session.password_change_failed")
        raise WrongCurrentPassword(delay)
    throttle.succeeded(session, user.username)
    user.password_hash = hash_password(value)
    user.must_change_password = False
    user.password_changed_at = now
    sessions.end_user_sessions(session, user.id, SessionEnd.PASSWORD_CHANGED, now=now, keep=row.id)
    audit.record(session, Principal.of_user(user, session_id=row.id), "session.password_change",
                 target_type="user", target_id=str(user.id), detail={"address": client.address})
    session.commit()
