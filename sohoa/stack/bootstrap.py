"""Everything ``sohoa run`` checks and prepares before it starts a process.

Each check fails with a message that says what to do, because the person reading it just
typed ``make run`` and expects a working service, not a traceback from a child process.
"""

from __future__ import annotations

import errno
import socket
from typing import TYPE_CHECKING

from sohoa.core.errors import SohoaError
from workers.ocr.tesseract import TesseractError, installed_languages

if TYPE_CHECKING:
    from sohoa.core.config import Settings


class StartupError(SohoaError):
    code, status = "startup_failed", 500


def prepare_storage(settings: Settings) -> None:
    """Create var/ and the archive dir, then bring the database schema to head."""
    from sqlalchemy.exc import SQLAlchemyError

    from sohoa.core.db import migrate

    try:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        settings.archive_root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StartupError(f"cannot create {exc.filename}: {exc.strerror}; "
                           "set SOHOA_VAR_DIR / SOHOA_ARCHIVE_DIR to a writable place") from exc
    try:
        migrate(settings.database_url)
    except SQLAlchemyError as exc:
        raise StartupError(f"cannot migrate the database ({_redact(settings.database_url)}): "
                           f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}") from exc


def check_tesseract(languages: str) -> None:
    """Workers would fail every page without Tesseract and its language data: say so now."""
    try:
        installed = installed_languages()
    except TesseractError as exc:
        raise StartupError(f"{exc.message}; `make run` installs it "
                           "(or: apt-get install tesseract-ocr tesseract-ocr-vie)") from exc
    missing = [lang for lang in languages.split("+") if lang not in installed]
    if missing:
        packages = " ".join(f"tesseract-ocr-{m.replace('_', '-').lower()}" for m in missing)
        raise StartupError(f"Tesseract language data missing: {', '.join(missing)} "
                           f"(SOHOA_OCR_LANGUAGES={languages}); install {packages}")


def check_port_free(host: str, port: int) -> None:
    """Fail before starting uvicorn, which would otherwise die and be restarted in a loop."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise StartupError(f"{host}:{port} is already in use (another `sohoa run`?); "
                                   "stop it or choose another port with SOHOA_PORT") from exc
            raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror}; "
                               "check SOHOA_HOST / SOHOA_PORT") from exc


def ensure_first_admin_key(settings: Settings) -> str | None:
    """Create the first admin key when there is none; returns its plaintext (shown once)."""
    from sohoa.core.db import make_engine, make_session_factory, session_scope
    from sohoa.domain.keys import create_key, has_admin_key

    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            if has_admin_key(session):
                return None
            _, plaintext = create_key(session, role="admin", name="first admin (sohoa run)")
            return plaintext
    finally:
        engine.dispose()


FIRST_ADMIN_USERNAME = "admin"


def ensure_first_admin_user(settings: Settings) -> str | None:
    """Create the first admin user (``admin``) when no admin user exists; returns its
    one-time password (shown once; it must be changed at the first sign-in)."""
    from sohoa.core.db import make_engine, make_session_factory, session_scope
    from sohoa.domain import audit
    from sohoa.domain.accounts import create_user, has_admin_user

    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            if has_admin_user(session):
                return None
            user, password = create_user(session, username=FIRST_ADMIN_USERNAME, display_name="Quản trị viên",
                                         role="admin")
            audit.record(session, None, "user.create", target_type="user", target_id=str(user.id),
                         detail={"username": user.username, "role": user.role, "via": "sohoa run"})
            return password
    finally:
        engine.dispose()


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only used in an error message
        return "<unparseable URL>"
