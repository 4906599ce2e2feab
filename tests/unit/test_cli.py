"""The ``sohoa`` command without services: settings errors, keys, file walking, ingest errors."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sohoa.cli import main
from sohoa.cli.ingest_client import IngestError, collect_files
from sohoa.core.config import Settings
from sohoa.core.db import make_engine, make_session_factory, session_scope
from sohoa.core.errors import Unauthorized
from sohoa.domain.keys import authenticate
from workers.ocr.separator import is_separator


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A clean environment: no .env from the developer's checkout, state under tmp_path."""
    monkeypatch.chdir(tmp_path)
    for name in [n for n in __import__("os").environ if n.startswith("SOHOA_")]:
        monkeypatch.delenv(name)
    return {"SOHOA_VAR_DIR": str(tmp_path / "var")}


def invoke(env: dict[str, str], *args: str):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_bad_settings_stop_with_the_variable_name_and_exit_code_2(env: dict[str, str]) -> None:
    result = invoke({**env, "SOHOA_PORT": "eighty", "SOHOA_OCR_LANGUAGES": "vie;rm"}, "keys", "list")
    assert result.exit_code == 2
    assert "SOHOA_PORT" in result.output and "'eighty'" in result.output
    assert "SOHOA_OCR_LANGUAGES" in result.output
    assert "Traceback" not in result.output


def test_keys_before_migrate_say_what_to_do(env: dict[str, str]) -> None:
    result = invoke(env, "keys", "list")
    assert result.exit_code == 1
    assert "sohoa migrate" in result.output


def test_keys_create_list_revoke_on_a_migrated_database(env: dict[str, str], tmp_path: Path) -> None:
    assert invoke(env, "migrate").exit_code == 0
    assert (tmp_path / "var" / "archive").is_dir()

    created = invoke(env, "keys", "create", "--role", "clerk", "--name", "Chị Lan",
                     "--agency", "UBND-X", "--expires-days", "30")
    assert created.exit_code == 0, created.output
    plaintext = created.stdout.strip()
    assert plaintext.startswith("sohoa_") and "\n" not in plaintext

    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'sohoa.sqlite3'}")
    sessions = make_session_factory(engine)
    with session_scope(sessions) as session:
        key = authenticate(session, plaintext)
        assert (key.role, key.name, key.agency) == ("clerk", "Chị Lan", "UBND-X")
        assert key.expires_at is not None
        key_id = key.id

    listed = invoke(env, "keys", "list")
    assert listed.exit_code == 0
    assert "Chị Lan" in listed.output and "active" in listed.output
    secret = plaintext.split("_", 2)[2]  # token_urlsafe may itself contain "_"
    assert plaintext not in listed.output and secret not in listed.output

    revoked = invoke(env, "keys", "revoke", str(key_id))
    assert revoked.exit_code == 0
    assert "revoked" in invoke(env, "keys", "list").output
    with session_scope(sessions) as session, pytest.raises(Unauthorized) as err:
        authenticate(session, plaintext)
    assert err.value.code == "revoked_api_key"
    engine.dispose()


def test_keys_reject_unknown_roles_and_ids(env: dict[str, str]) -> None:
    assert invoke(env, "migrate").exit_code == 0
    bad_role = invoke(env, "keys", "create", "--role", "root", "--name", "x")
    assert bad_role.exit_code == 2 and "root" in bad_role.output
    unknown = invoke(env, "keys", "revoke", "4242")
    assert unknown.exit_code == 1 and "no API key with id 4242" in unknown.output


def test_collect_files_sorts_walks_folders_and_skips_hidden(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    for rel in ["z.pdf", "a.png", "b/c.tif", "b/.DS_Store", ".hidden.pdf", ".git/x.pdf"]:
        (tmp_path / rel).write_bytes(b"x")
    explicit = tmp_path / ".explicit.jpg"
    explicit.write_bytes(b"x")

    found = collect_files([tmp_path / "b", tmp_path, explicit])
    assert [name for _, name in found] == ["c.tif", "a.png", "b/c.tif", "z.pdf", ".explicit.jpg"]
    assert all(path.is_file() for path, _ in found)


def test_collect_files_refuses_missing_paths_and_empty_folders(tmp_path: Path) -> None:
    with pytest.raises(IngestError) as missing:
        collect_files([tmp_path / "nope"])
    assert missing.value.code == "bad_path"
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / ".only-hidden").write_bytes(b"x")
    with pytest.raises(IngestError) as empty:
        collect_files([tmp_path / "empty"])
    assert empty.value.code == "no_files"


def test_ingest_needs_a_key(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"x")
    result = invoke(env, "ingest", str(tmp_path / "a.png"))
    assert result.exit_code == 2 and "SOHOA_API_KEY" in result.output


def test_ingest_reports_an_unreachable_api(env: dict[str, str], tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (tmp_path / "a.png").write_bytes(b"x")
    result = invoke({**env, "SOHOA_API_KEY": "sohoa_x_y"}, "ingest", str(tmp_path / "a.png"),
                    "--api-url", f"http://127.0.0.1:{port}")
    assert result.exit_code == 3
    assert "cannot reach the sohoa API" in result.output and str(port) in result.output


def test_ingest_refuses_a_missing_path_before_uploading(env: dict[str, str], tmp_path: Path) -> None:
    result = invoke({**env, "SOHOA_API_KEY": "k"}, "ingest", str(tmp_path / "missing"))
    assert result.exit_code == 2 and "does not exist" in result.output


def test_the_first_admin_key_is_created_once(env: dict[str, str], tmp_path: Path) -> None:
    from sohoa.core.settings_check import load_settings
    from sohoa.stack.bootstrap import ensure_first_admin_key, prepare_storage

    settings = load_settings(_env_file=None, var_dir=tmp_path / "var")
    prepare_storage(settings)
    first = ensure_first_admin_key(settings)
    assert first is not None and first.startswith("sohoa_")
    assert ensure_first_admin_key(settings) is None
    engine = make_engine(settings.database_url)
    with session_scope(make_session_factory(engine)) as session:
        assert authenticate(session, first).role == "admin"
    engine.dispose()


@contextmanager
def _sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'sohoa.sqlite3'}")
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def test_users_create_list_disable_enable_reset(env: dict[str, str], tmp_path: Path) -> None:
    from sohoa.core.models import AuditEvent, User
    from sohoa.domain.accounts.passwords import verify_password

    assert invoke(env, "migrate").exit_code == 0
    created = invoke(env, "users", "create", "--username", "Lan.Nguyen", "--name", "Nguyễn Thị Lan",
                     "--role", "clerk", "--agency", "UBND-X")
    assert created.exit_code == 0, created.output
    one_time = created.stdout.strip()
    assert len(one_time) == 14 and "\n" not in one_time and "one-time password" in created.stderr
    with _sessions(tmp_path) as sessions, session_scope(sessions) as session:
        user = session.scalars(select(User)).one()
        assert (user.username, user.display_name, user.role, user.agency) == ("lan.nguyen", "Nguyễn Thị Lan",
                                                                               "clerk", "UBND-X")
        assert user.must_change_password and verify_password(user.password_hash, one_time)

    listed = invoke(env, "users", "list")
    assert "lan.nguyen" in listed.output and "active" in listed.output and "must change password" in listed.output
    assert one_time not in listed.output and "argon2" not in listed.output

    assert "disabled user 'lan.nguyen'" in invoke(env, "users", "disable", "LAN.NGUYEN").output
    assert "disabled" in invoke(env, "users", "list").output
    assert "it already was" in invoke(env, "users", "disable", "lan.nguyen").output
    assert invoke(env, "users", "enable", "lan.nguyen").exit_code == 0

    reset = invoke(env, "users", "reset-password", "lan.nguyen")
    assert reset.exit_code == 0 and reset.stdout.strip() != one_time
    with _sessions(tmp_path) as sessions, session_scope(sessions) as session:
        user = session.scalars(select(User)).one()
        assert verify_password(user.password_hash, reset.stdout.strip()) and user.must_change_password
        actions = [(e.action, e.user_id, e.key_id) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == [("user.create", None, None), ("user.update", None, None), ("user.update", None, None),
                       ("user.update", None, None), ("user.password_reset", None, None)]


def test_users_commands_refuse_what_the_api_refuses(env: dict[str, str]) -> None:
    assert invoke(env, "migrate").exit_code == 0
    portal = invoke(env, "users", "create", "--username", "p1", "--name", "P", "--role", "portal")
    assert portal.exit_code == 2 and "portal" in portal.output  # people are never portals
    assert invoke(env, "users", "create", "--username", "root", "--name", "Root", "--role", "admin").exit_code == 0
    taken = invoke(env, "users", "create", "--username", "ROOT", "--name", "R", "--role", "clerk")
    assert taken.exit_code == 1 and "taken" in taken.output
    last = invoke(env, "users", "disable", "root")
    assert last.exit_code == 1 and "last active admin" in last.output
    unknown = invoke(env, "users", "reset-password", "nobody")
    assert unknown.exit_code == 1 and "no user 'nobody'" in unknown.output


def test_the_first_admin_user_is_created_once_and_must_change_its_password(env: dict[str, str],
                                                                         tmp_path: Path) -> None:
    from sohoa.core.models import User
    from sohoa.core.settings_check import load_settings
    from sohoa.domain.accounts.passwords import verify_password
    from sohoa.stack.bootstrap import ensure_first_admin_user, prepare_storage

    settings = load_settings(_env_file=None, var_dir=tmp_path / "var")
    prepare_storage(settings)
    password = ensure_first_admin_user(settings)
    assert password is not None and ensure_first_admin_user(settings) is None
    with _sessions(tmp_path) as sessions, session_scope(sessions) as session:
        admin = session.scalars(select(User)).one()
        assert (admin.username, admin.role, admin.agency, admin.must_change_password) == ("admin", "admin", None, True)
        assert verify_password(admin.password_hash, password)


def test_startup_checks_name_what_to_fix() -> None:
    from sohoa.stack.bootstrap import StartupError, check_port_free, check_tesseract

    with pytest.raises(StartupError, match="tesseract-ocr-klingon"):
        check_tesseract("vie+klingon")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(StartupError, match="SOHOA_PORT"):
            check_port_free("127.0.0.1", busy.getsockname()[1])


def test_archive_gc_lists_then_deletes_an_unreferenced_original(env: dict[str, str], tmp_path: Path) -> None:
    import os
    import time

    assert invoke(env, "migrate").exit_code == 0
    orphan = tmp_path / "var" / "archive" / "originals" / "ab" / "cd" / ("abcd" + "0" * 60)
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"x" * 1000)
    os.utime(orphan, (time.time() - 48 * 3600,) * 2)
    listed = invoke(env, "archive-gc", "--dry-run")
    assert listed.exit_code == 0 and "would delete originals/ab/cd/abcd" in listed.output
    assert "1 unreferenced original(s), 0 temp file(s), 0.0 MB to free" in listed.output and orphan.exists()
    done = invoke(env, "archive-gc")
    assert done.exit_code == 0 and "deleted originals/ab/cd/abcd" in done.output and not orphan.exists()


def test_separator_sheet_carries_the_chosen_code(env: dict[str, str], tmp_path: Path) -> None:
    result = invoke({**env, "SOHOA_SEPARATOR_BARCODE": "TACH-01"}, "separator-sheet", str(tmp_path / "t.pdf"))
    assert result.exit_code == 0, result.output
    subprocess.run(["pdftoppm", "-r", "100", "-gray", "-png", str(tmp_path / "t.pdf"), str(tmp_path / "t")],
                   check=True)
    with Image.open(tmp_path / "t-1.png") as page:
        assert is_separator(page.convert("L"), 100, "TACH-01") and not is_separator(page.convert("L"), 100, "X")
    off = invoke({**env, "SOHOA_SEPARATOR_BARCODE": "off"}, "separator-sheet", str(tmp_path / "u.pdf"))
    assert off.exit_code == 2 and "off" in off.output and not (tmp_path / "u.pdf").exists()


def test_local_url_is_one_to_browse_to_not_a_wildcard_bind_address() -> None:
    assert Settings(_env_file=None, host="0.0.0.0", port=8000).local_url == "http://127.0.0.1:8000"
    assert Settings(_env_file=None, host="::", port=8000).local_url == "http://[::1]:8000"
    assert Settings(_env_file=None, host="10.0.0.5", port=9000).local_url == "http://10.0.0.5:9000"


def test_ingest_starts_without_the_ocr_engine_or_the_web_stack() -> None:
    """A clerk's ``sohoa ingest`` loads neither Tesseract's wrapper nor FastAPI (half its start-up CPU)."""
    code = ("import sys, sohoa.cli; bad = [m for m in ('pytesseract', 'numpy', 'fastapi', 'sqlalchemy.orm') "
            "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_serve_runs_one_api_process_per_core_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert Settings(_env_file=None).api_process_count == 2
    monkeypatch.setattr("os.cpu_count", lambda: 16)
    assert Settings(_env_file=None).api_process_count == 4  # past four they only cost memory
    assert Settings(_env_file=None, api_processes=1).api_process_count == 1
