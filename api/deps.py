"""Request dependencies: the app's services, a database session, the caller's API key and role.

Routes declare what they need with the aliases below (``ServicesDep``, ``SessionDep``,
``KeyDep``, ``ClerkKey``, ``AdminKey``, ``ReaderCaller``, ``OfficerCaller``) so
authorization reads at a glance in each signature.

Roles as scopes: ``clerk`` uploads and sees batch status; ``officer`` searches, reads
documents and records, confirms and corrects; ``portal`` only looks records up and downloads
the files of records, and must send a purpose (a dossier code) with every request; ``admin``
manages keys and reads the audit log, and may also do what clerks and officers do (the first
key ``sohoa run`` prints is an admin key, used for the web page).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from sohoa.core.errors import BadRequest, Forbidden, Unauthorized
from sohoa.core.models import ApiKey
from sohoa.core.vocab import Role
from sohoa.domain.keys import authenticate
from sohoa.services import Services
from sohoa.storage.archive import ArchiveStore

_bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer sohoa_…`")


def get_services(request: Request) -> Services:
    """The app's ``Services``, built once in its lifespan (``api.app.create_app``)."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session_factory(services: ServicesDep) -> sessionmaker[Session]:
    return services.sessions


def get_session(services: ServicesDep) -> Iterator[Session]:
    """A session per request; routes commit explicitly when they write."""
    session = services.sessions()
    try:
        yield session
    finally:
        session.close()


def get_archive(services: ServicesDep) -> ArchiveStore:
    return services.archive


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


def principal_id(key: ApiKey) -> str:
    """The caller's identity where something is kept per caller (resumable uploads and their
    quota): ``key:<id>`` for an API key; the one place to name a signed-in person instead."""
    return f"key:{key.id}"


def require_roles(*roles: str) -> Any:
    """A dependency admitting admin keys and the given roles (403 for any other role);
    ``Any`` like the ``Depends(...)`` it returns, to sit in ``Annotated``."""
    allowed = frozenset((Role.ADMIN, *roles))

    def check(key: KeyDep) -> ApiKey:
        if key.role not in allowed:
            raise Forbidden(f"the role {key.role!r} may not do this",
                            detail={"role": key.role, "allowed": sorted(allowed)})
        return key

    return Depends(check)


ClerkKey = Annotated[ApiKey, require_roles(Role.CLERK)]
AdminKey = Annotated[ApiKey, require_roles()]


# --- Reads of personal data: officers and portals, with a purpose ---------------------------

DOSSIER_CODE = re.compile(r"^([A-Z0-9.]+)-(\d{6})-(\d{4})$")


@dataclass(frozen=True)
class Caller:
    """Who reads and why: the key, and the dossier code the read serves (portals must send it)."""

    key: ApiKey
    purpose: str | None

    @property
    def role(self) -> str:
        return self.key.role

    def sees_full_id(self, value: str | None, asked: str | None = None) -> bool:
        """Officers and admins see IDs; a portal sees only the ID it asked about."""
        if self.role in (Role.OFFICER, Role.ADMIN):
            return True
        return self.role == Role.PORTAL and value is not None and value == asked


def read_purpose(
    x_purpose: Annotated[str | None, Header(alias="X-Purpose", description="Dossier code the read serves")] = None,
    purpose: Annotated[str | None, Query(description="Dossier code (instead of the X-Purpose header)")] = None,
) -> str | None:
    raw = (x_purpose or purpose or "").strip()
    if not raw:
        return None
    if not DOSSIER_CODE.match(raw):
        raise BadRequest("purpose must be a dossier code such as 000.00.14.H56-230415-0012",
                         code="invalid_purpose", detail={"purpose": raw[:64]})
    return raw


def _caller(roles: tuple[str, ...]) -> Any:
    """Role check first (401/403), then the purpose (400): a clerk learns nothing about purposes."""

    def build(key: ApiKey, purpose: str | None) -> Caller:
        if key.role == Role.PORTAL and purpose is None:
            raise BadRequest("portals must say which dossier a read serves: send the X-Purpose header "
                             "or the purpose parameter (a dossier code)", code="purpose_required")
        return Caller(key=key, purpose=purpose)

    # Real objects, not strings: the closure's ``roles`` is invisible to FastAPI's string evaluation.
    build.__annotations__ = {"key": Annotated[ApiKey, require_roles(*roles)],
                             "purpose": Annotated[str | None, Depends(read_purpose)], "return": Caller}
    return Depends(build)


ReaderCaller = Annotated[Caller, _caller((Role.OFFICER, Role.PORTAL))]
OfficerCaller = Annotated[Caller, _caller((Role.OFFICER,))]
