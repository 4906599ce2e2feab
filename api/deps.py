"""Request dependencies: the app's services, a database session, and who the caller is.

A caller is a ``Principal`` (``sohoa.domain.principal``): a person signed in with a session
cookie, or a machine with ``Authorization: Bearer <API key>``. A Bearer header wins when both
are sent (it cannot be forged cross-site, so such requests need no CSRF token, see
``api/csrf.py``). Routes declare what they need with the aliases below (``PrincipalDep`` /
``KeyDep``, ``ClerkKey``, ``AdminKey``, ``ReaderCaller``, ``OfficerCaller``) so authorization
reads at a glance in each signature; the names ending in ``Key`` are kept from before people
could sign in and admit users and keys alike.

The dependencies that only look at the request are ``async``: FastAPI runs a plain ``def``
dependency in its threadpool, a thread hop per dependency and per request (measured in
``bench/records_lookup_profile.py``); only those that query the database run there.

Roles as scopes: ``clerk`` uploads and sees batch status; ``officer`` searches, reads
documents and records, confirms and corrects; ``portal`` (keys only) only looks records up
and downloads the files of records, and must send a purpose (a dossier code) with every
request; ``admin`` manages users and keys and reads the audit log, and may also do what
clerks and officers do. What an agency limits is in ``sohoa.domain.scope``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, ParamSpec, TypeVar

from fastapi import Depends, Header, Path, Query, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from api.params import PURPOSE_PATTERN
from sohoa.core.clock import utcnow
from sohoa.core.errors import BadRequest, Forbidden, Unauthorized
from sohoa.core.models import UserSession
from sohoa.core.vocab import Role
from sohoa.domain.accounts import SESSION_COOKIE, SessionRules, resolve
from sohoa.domain.keys import KeyFacts, last_use_due, record_use
from sohoa.domain.principal import Principal
from sohoa.services import Services
from sohoa.storage.archive import ArchiveStore

P = ParamSpec("P")
T = TypeVar("T")

_bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer sohoa_…`")
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False,
                       description="Session of a signed-in person (`POST /api/v1/session`); state-changing "
                                   "requests also need the `X-CSRF-Token` header")


async def get_services(request: Request) -> Services:
    """The app's ``Services``, built once in its lifespan (``api.app.create_app``)."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_session_factory(services: ServicesDep) -> sessionmaker[Session]:
    return services.sessions


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session per request; routes commit explicitly when they write. Opened without
    touching the database (it connects on first use); closed like a read (``run_read``:
    closing rolls back, which never waits on SQLite and is a round trip to PostgreSQL).
    The services are taken from the app, not from ``ServicesDep``: FastAPI solves every
    sub-dependency of every dependency on every request, cached or not."""
    services: Services = request.app.state.services
    session = services.sessions()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_read(services, session.close)
        else:
            session.close()


async def run_read(services: Services, read: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """A coroutine's read of the database, where it costs least. SQLite is a library inside
    this process: a read in WAL mode never waits for a writer's lock, and running it in the
    threadpool would cost more than the read (a hop: ~0.1-0.2 ms of CPU measured on a 2-core
    VM, ``bench/records_lookup_profile.py``), so it runs here, on the event loop. PostgreSQL
    is a server across a socket: its reads wait for it, in a thread, while the loop serves on.
    Only reads: a write may wait for a lock (SQLite's busy handler sleeps) and goes to a thread."""
    if services.settings.database_url.startswith("sqlite"):
        return read(*args, **kwargs)
    return await run_in_threadpool(read, *args, **kwargs)


async def get_archive(services: ServicesDep) -> ArchiveStore:
    return services.archive


# Integer ids (users, keys, audit events) are 32-bit on PostgreSQL: a larger one in a path or
# filter is refused by the schema (422) instead of failing in the database (500).
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]

SessionFactoryDep = Annotated[sessionmaker[Session], Depends(get_session_factory)]
SessionDep = Annotated[Session, Depends(get_session)]
ArchiveDep = Annotated[ArchiveStore, Depends(get_archive)]
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
CookieDep = Annotated[str | None, Depends(_cookie)]


# --- Who is calling -------------------------------------------------------------------------


def current_user_session(session: SessionDep, services: ServicesDep, cookie: CookieDep) -> UserSession:
    """The live sign-in session of the cookie, whatever its user must do next (the session
    routes use this: a person who must change their password may still do that)."""
    if not cookie:
        raise Unauthorized("you are not signed in", code="not_signed_in")
    row = resolve(session, cookie, SessionRules.from_settings(services.settings), now=utcnow())
    session.commit()  # records last use
    return row


UserSessionDep = Annotated[UserSession, Depends(current_user_session)]


async def current_principal(request: Request, credentials: BearerDep, cookie: CookieDep) -> Principal:
    """The caller: the active API key of the Bearer header, else the signed-in user of the
    session cookie (401 when neither, or when it is unknown, revoked or expired; 403
    ``password_change_required`` until a one-time password has been replaced). Its own
    database work in its own session: no ``SessionDep`` to solve, and none opened for a key
    checked a moment ago (``Services.keys``)."""
    services: Services = request.app.state.services
    if credentials is not None:
        return Principal.of_key(await _active_key(services, credentials.credentials.strip()))
    if not cookie:
        raise Unauthorized("sign in, or send an API key: `Authorization: Bearer <key>`", code="missing_api_key")
    return await run_in_threadpool(_signed_in, services, cookie)


async def _active_key(services: Services, plaintext: str) -> KeyFacts:
    now = utcnow()
    key = services.keys.get(plaintext, now)
    if key is None:
        key = await run_read(services, _check_key, services, plaintext, now)
    if last_use_due(key, now):  # at most once a minute; a write may wait for a lock: a thread
        await run_in_threadpool(_record_use, services, plaintext, key, now)
    return key


def _check_key(services: Services, plaintext: str, now: datetime) -> KeyFacts:
    with services.reads.connect() as conn:  # a read: on PostgreSQL no BEGIN nor ROLLBACK
        return services.keys.check(conn, plaintext, now=now)


def _record_use(services: Services, plaintext: str, key: KeyFacts, now: datetime) -> None:
    with services.sessions() as session:
        record_use(session, key, now)
        session.commit()
    services.keys.used(plaintext, key._replace(last_used_at=now))


def _signed_in(services: Services, cookie: str) -> Principal:
    with services.sessions() as session:
        row = current_user_session(session, services, cookie)
        if row.user.must_change_password:
            raise Forbidden("choose a new password first (PUT /api/v1/session/password)",
                            code="password_change_required")
        return Principal.of_user(row.user, session_id=row.id)


PrincipalDep = Annotated[Principal, Depends(current_principal)]
KeyDep = PrincipalDep  # the name from when every caller was a key


def require_roles(*roles: str) -> Any:
    """A dependency admitting admins and the given roles (403 for any other role);
    ``Any`` like the ``Depends(...)`` it returns, to sit in ``Annotated``."""
    allowed = frozenset((Role.ADMIN, *roles))

    async def check(principal: PrincipalDep) -> Principal:
        return _admitted(principal, allowed)

    return Depends(check)


def _admitted(principal: Principal, allowed: frozenset[str]) -> Principal:
    if principal.role not in allowed:
        raise Forbidden(f"the role {principal.role!r} may not do this",
                        detail={"role": principal.role, "allowed": sorted(allowed)})
    return principal


ClerkKey = Annotated[Principal, require_roles(Role.CLERK)]
AdminKey = Annotated[Principal, require_roles()]


# --- Reads of personal data: officers and portals, with a purpose ---------------------------

DOSSIER_CODE = re.compile(r"^([A-Z0-9.]+)-(\d{6})-(\d{4})$")


@dataclass(frozen=True)
class Caller:
    """Who reads and why: the principal, and the dossier code the read serves (portals must send it)."""

    principal: Principal
    purpose: str | None

    @property
    def role(self) -> str:
        return self.principal.role

    def sees_full_id(self, value: str | None, asked: str | None = None) -> bool:
        """Officers and admins see IDs; a portal sees only the ID it asked about."""
        if self.role in (Role.OFFICER, Role.ADMIN):
            return True
        return self.role == Role.PORTAL and value is not None and value == asked


XPurposeHeader = Annotated[str | None, Header(alias="X-Purpose", description="Dossier code the read serves",
                                              json_schema_extra={"pattern": PURPOSE_PATTERN})]
PurposeQuery = Annotated[str | None, Query(description="Dossier code (instead of the X-Purpose header)",
                                           json_schema_extra={"pattern": PURPOSE_PATTERN})]


def read_purpose(x_purpose: str | None, purpose: str | None) -> str | None:
    raw = (x_purpose or purpose or "").strip()
    if not raw:
        return None
    if not DOSSIER_CODE.match(raw):
        raise BadRequest("purpose must be a dossier code such as 000.00.14.H56-230415-0012",
                         code="invalid_purpose", detail={"purpose": raw[:64]})
    return raw


class CallerRule:
    """Who may read personal data, and why: the role check first (401/403), then the purpose
    (400), so that a clerk learns nothing about purposes. One dependency (``dependency``), not
    one each for the role and the purpose: FastAPI's cost grows with the dependencies it
    solves on every request. A route that reads its caller itself (``api.lean_route``) asks
    ``of_request``, which takes the same steps from the request: one rule, two ways in."""

    def __init__(self, *roles: str) -> None:
        self.allowed = frozenset((Role.ADMIN, *roles))

    async def dependency(self, principal: PrincipalDep, x_purpose: XPurposeHeader = None,
                         purpose: PurposeQuery = None) -> Caller:
        return self.caller(principal, x_purpose, purpose)

    async def of_request(self, request: Request) -> Caller:
        """``dependency`` without FastAPI: the same schemes, principal and checks, the header
        and the query parameter read as FastAPI reads them (the first header, the last value)."""
        principal = await current_principal(request, await _bearer(request), await _cookie(request))
        return self.caller(principal, request.headers.get("X-Purpose"), request.query_params.get("purpose"))

    def caller(self, principal: Principal, x_purpose: str | None, purpose: str | None) -> Caller:
        _admitted(principal, self.allowed)
        why = read_purpose(x_purpose, purpose)
        if principal.role == Role.PORTAL and why is None:
            raise BadRequest("portals must say which dossier a read serves: send the X-Purpose header "
                             "or the purpose parameter (a dossier code)", code="purpose_required")
        return Caller(principal=principal, purpose=why)


READERS = CallerRule(Role.OFFICER, Role.PORTAL)
OFFICERS = CallerRule(Role.OFFICER)
ReaderCaller = Annotated[Caller, Depends(READERS.dependency)]
OfficerCaller = Annotated[Caller, Depends(OFFICERS.dependency)]
