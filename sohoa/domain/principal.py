"""Who makes a request: one shape for a signed-in person and for an API key.

Routes, the audit log and record corrections see a ``Principal`` and never need to know
whether a cookie or a ``Bearer`` header carried it: role and agency mean the same for both
(``sohoa.domain.scope`` says what the agency allows). It has no bare ``id``: a user's id and a key's
id are different numbers, so writers name the column they fill (``user_id`` / ``key_id``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from sohoa.core.models import ApiKey, User
from sohoa.core.vocab import PrincipalKind, Role


class _RoleHolder(Protocol):
    """What a principal takes from a key or a user, as a row or as the ORM object."""

    @property
    def id(self) -> int: ...

    @property
    def role(self) -> str: ...

    @property
    def agency(self) -> str | None: ...


class KeyLike(_RoleHolder, Protocol):
    """An API key as a row or as the ORM object (``sohoa.domain.keys.KeyFacts``, ``ApiKey``)."""

    @property
    def name(self) -> str: ...


class UserLike(_RoleHolder, Protocol):
    """A user as a row or as the ORM object (``creator`` reads a row, sign-in the object)."""

    @property
    def display_name(self) -> str: ...


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    role: str
    agency: str | None
    name: str  # the user's display name or the key's name, for messages and lists
    user_id: int | None = None
    key_id: int | None = None
    session_id: int | None = None  # the sign-in session a user's request came with

    @classmethod
    def of_key(cls, key: KeyLike) -> Principal:
        return cls(kind=PrincipalKind.KEY, role=key.role, agency=key.agency, name=key.name, key_id=key.id)

    @classmethod
    def of_user(cls, user: UserLike, *, session_id: int | None = None) -> Principal:
        return cls(kind=PrincipalKind.USER, role=user.role, agency=user.agency, name=user.display_name,
                   user_id=user.id, session_id=session_id)

    @property
    def ref(self) -> str:
        """``user:3`` or ``key:5``: one string naming the caller (logs, quotas, dictionaries)."""
        return f"{self.kind}:{self.user_id if self.kind == PrincipalKind.USER else self.key_id}"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def is_creator(self, *, user_id: int | None, key_id: int | None) -> bool:
        """True when this caller is the one recorded as ``created_by_user_id/key_id``."""
        if self.kind == PrincipalKind.USER:
            return self.user_id is not None and self.user_id == user_id
        return self.key_id is not None and self.key_id == key_id


def creator(session: Session, *, user_id: int | None, key_id: int | None) -> Principal | None:
    """The principal recorded as ``created_by_user_id`` / ``created_by_key_id`` of a row, for
    work finished later on its behalf (a resumable upload completed by the reconciler)."""
    user = session.execute(_USER_FACTS, {"id": user_id}).first() if user_id is not None else None
    if user is not None:
        return Principal.of_user(user)
    key = session.execute(_KEY_FACTS, {"id": key_id}).first() if key_id is not None else None
    return Principal.of_key(key) if key is not None else None


# What a principal is made of, read as rows by statements built once (not the whole ORM
# objects: ``creator`` runs once per uploaded file).
_USERS, _KEYS = cast(Table, User.__table__), cast(Table, ApiKey.__table__)
_USER_FACTS = select(_USERS.c.id, _USERS.c.role, _USERS.c.agency, _USERS.c.display_name).where(
    _USERS.c.id == bindparam("id"))
_KEY_FACTS = select(_KEYS.c.id, _KEYS.c.role, _KEYS.c.agency, _KEYS.c.name).where(_KEYS.c.id == bindparam("id"))
