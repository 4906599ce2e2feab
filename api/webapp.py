"""The staff web app: one HTML shell for every screen, its files, and the headers they carry.

No build step: the browser runs the small ES modules of ``api/web/js/`` as they are, and the
one third-party file (tus-js-client, ``api/web/vendor/``) is committed at a pinned version,
so ``make run`` serves the app on an office network with no internet and no Node.js.

- **Screens** are paths (``/tai-len``, ``/tra-cuu``, ...); each answers the same shell,
  which the modules fill in. A signed-in person whose role may not use a screen is sent to
  ``/`` by the server (typing the address does not show it); the modules hide it from the
  menu and refuse it the same way, from the same table (``SCREENS``, sent in the shell).
- **Strings**: every word a person reads is in ``api/web/i18n/vi.json``; the shell carries
  it as a JSON data block (not a script: the Content-Security-Policy runs no inline code),
  so no screen waits for a second request to have its words.
- **Files** are served under ``/web/<version>/``, ``version`` a hash of every file of the
  app: cached for a year (``immutable``), and a new release changes every URL at once. The
  shell itself is never cached (``no-cache``), so it always names the current version.
- **Headers**: a strict CSP (no inline script or style, no other origin, no framing), and
  nosniff/referrer/permissions headers, on the shell and the files.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
from functools import cache
from os import PathLike
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from sohoa.core.clock import utcnow
from sohoa.core.config import Settings
from sohoa.core.errors import SohoaError
from sohoa.core.vocab import Role
from sohoa.domain.accounts import SESSION_COOKIE, SessionRules, resolve
from sohoa.services import Services

WEB_DIR = Path(__file__).parent / "web"
STRINGS_FILE = WEB_DIR / "i18n" / "vi.json"
ASSET_PREFIX = "/web"

CSP = "; ".join((
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' blob: data:",
    "connect-src 'self'", "font-src 'self'", "manifest-src 'self'", "form-action 'self'", "base-uri 'none'",
    "frame-ancestors 'none'", "object-src 'none'", "require-trusted-types-for 'script'", "trusted-types 'none'",
))
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

ANYONE: frozenset[str] = frozenset()  # any signed-in person (and the sign-in screen itself)
# Screen path → roles that may open it (admins may open every screen). The modules read
# the same table from the shell, for the menu and their own refusal.
SCREENS: dict[str, frozenset[str]] = {
    "/": ANYONE,
    "/dang-nhap": ANYONE,
    "/doi-mat-khau": ANYONE,
    "/tai-len": frozenset({Role.CLERK}),
    "/lo": frozenset({Role.CLERK}),
    "/lo/{batch_id}": frozenset({Role.CLERK}),
    "/tra-cuu": frozenset({Role.OFFICER}),
    "/ho-so/{document_id}": frozenset({Role.OFFICER}),
    "/kiem-tra": frozenset({Role.OFFICER}),
    "/dinh-danh": frozenset({Role.OFFICER}),
    "/quan-tri": frozenset({Role.ADMIN}),
}


def may_open(role: str, screen: str) -> bool:
    roles = SCREENS[screen]
    return role == Role.ADMIN or not roles or role in roles


@cache
def asset_version(root: Path = WEB_DIR) -> str:
    """A hash of every file of the app (names and bytes): the part of its URLs that changes
    with any of them, so a browser never mixes files of two releases."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


class VersionedFiles(StaticFiles):
    """``/web/<version>/<file>``: the file, cached for a year when ``version`` is the
    current one (an old version's URL still answers, uncached, during a release)."""

    def get_path(self, scope: Scope) -> str:
        path: str = super().get_path(scope)
        version, _, rest = path.partition("/")
        scope["sohoa.asset_version"] = version
        return rest

    def file_response(self, full_path: PathLike[str] | str, stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        current = scope.get("sohoa.asset_version") == asset_version()
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable" if current else "no-cache"
        response.headers.update({k: v for k, v in SECURITY_HEADERS.items() if k != "Content-Security-Policy"})
        return response


def _boot(settings: Settings) -> dict[str, Any]:
    """What the modules need before their first request: the words, who may open which
    screen, and the limits a form should know."""
    return {
        "strings": strings(),
        "screens": {path: sorted(roles) for path, roles in SCREENS.items()},
        "limits": {"password_min_length": settings.password_min_length, "max_file_bytes": settings.max_file_bytes,
                   "low_confidence": settings.ocr_low_confidence},
    }


@cache
def strings() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(STRINGS_FILE.read_text(encoding="utf-8"))
    return loaded


def render_shell(settings: Settings) -> bytes:
    template = (WEB_DIR / "index.html").read_text(encoding="utf-8")
    boot = json.dumps(_boot(settings), ensure_ascii=False, separators=(",", ":"))
    boot = boot.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")  # inert in a <script>
    shell = strings()["shell"]
    return (template.replace("{{assets}}", f"{ASSET_PREFIX}/{asset_version()}")
            .replace("{{title}}", html.escape(shell["title"])).replace("{{noscript}}", html.escape(shell["noscript"]))
            .replace("{{skip}}", html.escape(shell["skip"])).replace("{{boot}}", boot)).encode("utf-8")


def _signed_in_role(request: Request, services: Services) -> str | None:
    """The role of the person whose session cookie came with the request, or None."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with services.sessions() as session:
        try:
            row = resolve(session, token, SessionRules.from_settings(services.settings), now=utcnow())
        except SohoaError:
            return None
        session.commit()
        return row.user.role


def install_webapp(app: FastAPI, settings: Settings) -> None:
    """The screens' routes and the app's files (``create_app`` calls it last)."""
    shell = render_shell(settings)
    app.mount(ASSET_PREFIX, VersionedFiles(directory=WEB_DIR), name="web")

    def screen_route(path: str) -> None:
        def show(request: Request) -> Response:
            role = _signed_in_role(request, request.app.state.services)
            if role is not None and not may_open(role, path):
                return RedirectResponse("/", status_code=303, headers={"Cache-Control": "no-store"})
            return HTMLResponse(shell, headers={**SECURITY_HEADERS, "Cache-Control": "no-cache"})

        show.__name__ = f"screen_{path.strip('/').replace('/', '_').replace('{', '').replace('}', '') or 'home'}"
        app.get(path, include_in_schema=False, response_class=HTMLResponse)(show)

    for path in SCREENS:
        screen_route(path)
