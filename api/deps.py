"""Request dependencies: settings, a database session, the caller's API key and role.

Routes declare what they need with the aliases below (``SessionDep``, ``KeyDep``,
``ClerkKey``, ``OfficerKey``) so authorization reads at a glance in each signature.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from sohoa.archive import ArchiveStore
from sohoa.config import Settings
from sohoa.errors import Forbidden, Unauthorized
from sohoa.keys import authenticate
from sohoa.models import ApiKey

_bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer sohoa_…`")


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session_factory(request: Request) -> sessionmaker[Session]:
    return request.app.state.session_factory


def get_session(request: Request) -> Iterator[Session]:
    """A session per request; routes commit explicitly when they write."""
    session = request.app.state.session_factory()
    try:
        yield session
    finally:
        session.close()


def get_archive(request: Request) -> ArchiveStore:
    return ArchiveStore(request.app.state.settings.archive_root)


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionFactoryDep = Annotated[sessionmaker[Session], Depends(get_session_factory)]
SessionDep = Annotated[Session, Depends(get_session)]
ArchiveDep = Annotated[ArchiveStore, Depends(get_archive)]


def current_key(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKey:
    """The active API key of the caller (401 when missing, unknown, revoked or expired)."""
    if credentials is None:
        raise Unauthorized("an API key is required: send `Authorization: Bearer <key>`",
                           code="missing_api_key")
    key = authenticate(session, credentials.credentials.strip())
    session.commit()  # records last use
    return key


KeyDep = Annotated[ApiKey, Depends(current_key)]


def require_roles(*roles: str):  # type: ignore[no-untyped-def]
    """A dependency admitting admin keys and the given roles (403 for any other role)."""
    allowed = frozenset(("admin", *roles))

    def check(key: KeyDep) -> ApiKey:
        if key.role not in allowed:
            raise Forbidden(f"the role {key.role!r} may not do this",
                            detail={"role": key.role, "allowed": sorted(allowed)})
        return key

    return Depends(check)


ClerkKey = Annotated[ApiKey, require_roles("clerk")]
OfficerKey = Annotated[ApiKey, require_roles("officer")]
AdminKey = Annotated[ApiKey, require_roles()]
