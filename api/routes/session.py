"""Signing in and out, the current session, changing one's own password (people, not keys).

``POST /api/v1/session`` sets the session cookie (HttpOnly, SameSite=Strict, Secure over
https or when ``SOHOA_COOKIE_SECURE=always``; no Max-Age, so closing the browser forgets it
on a shared office PC) and returns the CSRF token to send with every state-changing request.
A failed sign-in answers after a delay that grows with each failure in a row; too many lock
the username (or the client address) for a while: 429 ``account_locked`` with Retry-After.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.deps import CookieDep, ServicesDep, SessionDep, UserSessionDep
from api.schemas_accounts import MePublic, PasswordChange, SessionPublic, SignIn
from sohoa.core.clock import utcnow
from sohoa.core.models import UserSession
from sohoa.core.vocab import CookieSecure
from sohoa.domain import audit
from sohoa.domain.accounts import (
    SESSION_COOKIE,
    Client,
    InvalidCredentials,
    PasswordPolicy,
    SessionRules,
    ThrottleRules,
    WrongCurrentPassword,
    change_password,
    csrf_token,
    sign_in,
    sign_out,
)
from sohoa.domain.principal import Principal
from sohoa.services import Services

router = APIRouter(prefix="/api/v1/session", tags=["session"])


def _client(request: Request) -> Client:
    """The client's address as the server sees it (behind a proxy, set SOHOA_TRUSTED_PROXIES
    so it is the person's, not the proxy's: the per-address lock counts it)."""
    address = request.client.host if request.client else "unknown"
    return Client(address=address, user_agent=request.headers.get("user-agent"))


def _secure(request: Request, services: Services) -> bool:
    return services.settings.cookie_secure == CookieSecure.ALWAYS or request.url.scheme == "https"


def session_public(row: UserSession, token: str, rules: SessionRules) -> SessionPublic:
    user = row.user
    return SessionPublic(
        user=MePublic(id=user.id, username=user.username, display_name=user.display_name, role=user.role,
                      agency=user.agency, must_change_password=user.must_change_password),
        csrf_token=csrf_token(token), signed_in_at=row.created_at,
        idle_expires_at=min(rules.idle_expires_at(row), rules.expires_at(row)), expires_at=rules.expires_at(row))


@router.post("", status_code=201, response_model=SessionPublic, summary="Sign in (sets the session cookie)",
             responses={401: {"description": "invalid_credentials"}, 403: {"description": "account_disabled"},
                        429: {"description": "account_locked (Retry-After)"}})
async def post_session(body: SignIn, request: Request, response: Response, services: ServicesDep) -> SessionPublic:
    """The same answer for an unknown username and a wrong password; only the right
    password of a disabled account is told it is disabled."""
    rules = SessionRules.from_settings(services.settings)

    def attempt() -> tuple[SessionPublic, str]:
        with services.sessions() as session:
            signed = sign_in(session, body.username, body.password, _client(request),
                             rules=ThrottleRules.from_settings(services.settings), session_rules=rules,
                             now=utcnow())
            return session_public(signed.row, signed.token, rules), signed.token

    try:
        public, token = await run_in_threadpool(attempt)
    except InvalidCredentials as exc:
        await asyncio.sleep(exc.delay_seconds)  # slows guessing; the failure is already counted
        raise
    response.set_cookie(SESSION_COOKIE, token, path="/", httponly=True, samesite="strict",
                        secure=_secure(request, services))
    return public


@router.get("", response_model=SessionPublic, summary="The signed-in person and their CSRF token")
def get_session(row: UserSessionDep, cookie: CookieDep, services: ServicesDep) -> SessionPublic:
    assert cookie is not None  # UserSessionDep refused requests without one
    return session_public(row, cookie, SessionRules.from_settings(services.settings))


@router.delete("", status_code=204, summary="Sign out (ends the session, clears the cookie)",
               openapi_extra={"security": [{}]})  # without a session: nothing to end, still 204
def delete_session(request: Request, session: SessionDep, services: ServicesDep, cookie: CookieDep) -> Response:
    """Always 204: signing out of an ended session, or twice, is not an error."""
    if cookie:
        row = sign_out(session, cookie, now=utcnow())
        if row is not None:
            audit.record(session, Principal.of_user(row.user, session_id=row.id), "session.sign_out",
                         target_type="session", target_id=str(row.id))
        session.commit()
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=_secure(request, services))
    return response


@router.put("/password", response_model=SessionPublic, summary="Change your own password",
            responses={400: {"description": "wrong_current_password, password_too_short, …"},
                       429: {"description": "account_locked (Retry-After)"}})
async def put_password(body: PasswordChange, request: Request, row: UserSessionDep, cookie: CookieDep,
                       session: SessionDep, services: ServicesDep) -> SessionPublic:
    """Required first after a one-time password. Your other sessions end; this one goes on."""
    settings = services.settings
    assert cookie is not None

    def change(db: Session) -> None:
        change_password(db, row, body.current_password, body.new_password, _client(request),
                        policy=PasswordPolicy.from_settings(settings), rules=ThrottleRules.from_settings(settings),
                        now=utcnow())

    try:
        await run_in_threadpool(change, session)
    except WrongCurrentPassword as exc:
        await asyncio.sleep(exc.delay_seconds)
        raise
    return session_public(row, cookie, SessionRules.from_settings(settings))
