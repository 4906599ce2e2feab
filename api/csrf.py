"""CSRF protection of every state-changing request that a session cookie authenticates.

A request with the session cookie and a method other than GET, HEAD or OPTIONS must carry
``X-CSRF-Token``: the token of that very session (``sohoa.domain.accounts.csrf_token``,
returned by sign-in and by ``GET /api/v1/session``). Another site can make a browser send
the cookie, but can neither read the token nor set a custom header without CORS, which
this API does not grant. Checked here, as ASGI middleware in front of every route (routes
added later are covered without doing anything), with no database lookup: the token is
derived from the cookie itself. SameSite=Strict on the cookie is a second, independent wall.

Exempt: requests with ``Authorization: Bearer`` (API keys: the app uses the key and ignores
the cookie, and no other site can add that header), and signing in, which has no session
yet (its body must be JSON, which a cross-site form cannot send).
"""

from __future__ import annotations

from fastapi.security.utils import get_authorization_scheme_param
from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import error_response
from sohoa.domain.accounts import CSRF_HEADER, SESSION_COOKIE, csrf_matches

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SIGN_IN = ("POST", "/api/v1/session")


class CsrfMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not _exempt(scope):
            headers = Headers(scope=scope)
            token = _session_cookie(headers.get("cookie"))
            if token is not None and not csrf_matches(token, headers.get(CSRF_HEADER)):
                response = error_response(
                    403, "csrf_failed",
                    f"this request needs the {CSRF_HEADER} header of your session (sign-in and "
                    "GET /api/v1/session return it)")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _exempt(scope: Scope) -> bool:
    method = scope["method"]
    if method in SAFE_METHODS or (method, scope["path"].rstrip("/")) == SIGN_IN:
        return True
    # Exactly the test HTTPBearer applies (api/deps.py): a request is exempt only when the
    # key, not the cookie, will authenticate it.
    scheme, credentials = get_authorization_scheme_param(Headers(scope=scope).get("authorization"))
    return scheme.lower() == "bearer" and bool(credentials)


def _session_cookie(header: str | None) -> str | None:
    """Parsed exactly as the routes parse it (Starlette's parser), so no Cookie header can
    look like a session to the routes and like none to this check."""
    return cookie_parser(header).get(SESSION_COOKIE) or None if header else None
