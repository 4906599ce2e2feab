"""People's accounts: create, change, disable, reset a password; the last-admin guard.

Used by the admin routes and by ``sohoa users`` on the server; admins manage every agency's
accounts (``sohoa.domain.scope``: admins are never scoped). A new or reset account gets a
one-time password and must choose its own at first sign-in.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sohoa.core.clock import utcnow
from sohoa.core.errors import BadRequest, Conflict, NotFound
from sohoa.core.models import User
from sohoa.core.vocab import USER_ROLES, Role, SessionEnd
from sohoa.domain.accounts import sessions, throttle
from sohoa.domain.accounts.passwords import hash_password, one_time_password
from sohoa.domain.vntext import nfc, normalize

USERNAME_MAX = 64
_USERNAME = re.compile(r"^\w[\w.@-]{1,63}$")  # \w is Unicode: Vietnamese letters are fine
EDITABLE = ("display_name", "role", "agency", "disabled")


def normalize_username(raw: str) -> str:
    """The stored form: NFC, canonical tone marks, lower case, so ``Lan``, ``lan`` and a
    decomposed ``lân`` typed on another keyboard are one account. No validation."""
    return normalize(raw.strip())


def _valid_username(raw: str) -> str:
    name = normalize_username(raw)
    if not _USERNAME.match(name):
        raise BadRequest("a username has 2 to 64 letters, digits or . _ - @, starting with a letter or digit",
                         code="invalid_username", detail={"max_length": USERNAME_MAX})
    return name


def _display_name(raw: str) -> str:
    name = " ".join(nfc(raw).split())
    if not name or len(name) > 128:
        raise BadRequest("a display name has 1 to 128 characters", code="invalid_display_name")
    return name


def _role(role: str) -> str:
    if role not in USER_ROLES:
        raise BadRequest(f"a person's role is one of {', '.join(USER_ROLES)}; {Role.PORTAL} is for API keys",
                         code="invalid_role", detail={"allowed": list(USER_ROLES)})
    return role


def find_user(session: Session, *, user_id: int | None = None, username: str | None = None) -> User:
    """The user by id or username (404 when there is none)."""
    if user_id is not None:
        user = session.get(User, user_id)
    else:
        user = session.scalar(select(User).where(User.username == normalize_username(username or "")))
    if user is None:
        ident: Any = user_id if user_id is not None else username
        raise NotFound(f"no user {ident!r}", detail={"user": ident})
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def create_user(session: Session, *, username: str, display_name: str, role: str,
                agency: str | None = None) -> tuple[User, str]:
    """A new account with a one-time password (returned, never stored in clear)."""
    name = _valid_username(username)
    agency = _agency(agency)
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise Conflict(f"the username {name!r} is taken", code="username_taken", detail={"username": name})
    password = one_time_password()
    user = User(username=name, display_name=_display_name(display_name), role=_role(role), agency=agency,
                password_hash=hash_password(password), must_change_password=True)
    session.add(user)
    session.flush()
    return user, password


def _agency(requested: str | None) -> str | None:
    agency = (requested or "").strip() or None
    if agency is not None and len(agency) > 128:
        raise BadRequest("an agency code has at most 128 characters", code="invalid_value",
                         detail={"field": "agency"})
    return agency


def update_user(session: Session, user: User, changes: dict[str, Any], *,
                now: datetime | None = None) -> dict[str, Any]:
    """Apply ``changes`` (a subset of ``EDITABLE``); returns what actually changed. Disabling
    ends the user's sessions at once. Refuses to take away the last admin (409 ``last_admin``)."""
    clean = _clean_changes(changes)
    changed = {k: v for k, v in clean.items() if getattr(user, k) != v}
    after = (changed.get("role", user.role), changed.get("agency", user.agency), changed.get("disabled", user.disabled))
    if _manages_everything(user.role, user.agency, user.disabled) and not _manages_everything(*after):
        _guard_last_admin(session, user)
    for column, value in changed.items():
        setattr(user, column, value)
    if changed.get("disabled"):
        sessions.end_user_sessions(session, user.id, SessionEnd.USER_DISABLED, now=now or utcnow())
    return changed


def _clean_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """The requested values, checked (400 before anything is touched)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise BadRequest(f"cannot change {', '.join(unknown)}", code="invalid_field", detail={"fields": unknown})
    clean: dict[str, Any] = {}
    if "display_name" in changes:
        clean["display_name"] = _display_name(changes["display_name"] or "")
    if "role" in changes:
        clean["role"] = _role(changes["role"])
    if "agency" in changes:
        clean["agency"] = _agency(changes["agency"])
    if "disabled" in changes:
        if not isinstance(changes["disabled"], bool):
            raise BadRequest("disabled is true or false", code="invalid_value", detail={"field": "disabled"})
        clean["disabled"] = changes["disabled"]
    return clean


def _manages_everything(role: str, agency: str | None, disabled: bool) -> bool:
    return role == Role.ADMIN and agency is None and not disabled


def _guard_last_admin(session: Session, user: User) -> None:
    others = session.scalar(select(func.count()).select_from(User).where(
        User.role == Role.ADMIN, User.agency.is_(None), User.disabled.is_(False), User.id != user.id))
    if not others:
        raise Conflict("this is the last active admin without an agency; make another admin first",
                       code="last_admin", detail={"user_id": user.id})


def reset_password(session: Session, user: User, *, now: datetime | None = None) -> str:
    """A new one-time password (returned): the user must change it at the next sign-in;
    their sessions end and a lock on their username is lifted."""
    now = now or utcnow()
    password = one_time_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.password_changed_at = now
    sessions.end_user_sessions(session, user.id, SessionEnd.PASSWORD_RESET, now=now)
    throttle.clear(session, user.username)
    return password


def has_admin_user(session: Session) -> bool:
    return session.scalar(select(User.id).where(User.role == Role.ADMIN).limit(1)) is not None
