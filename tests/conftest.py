"""Shared fixtures: real services started per test session on free loopback ports, the
settings, ``Services`` and job context of a test, the API app, one key per role and one
signed-in person per user role."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from api import create_app
from sohoa.core.clock import utcnow
from sohoa.core.config import Settings
from sohoa.core.db import migrate, session_scope
from sohoa.core.models import User
from sohoa.core.vocab import ROLES, USER_ROLES
from sohoa.domain.accounts import SESSION_COOKIE, csrf_token
from sohoa.domain.accounts.passwords import hash_password
from sohoa.domain.accounts.sessions import start_session
from sohoa.domain.keys import create_key
from sohoa.services import Services
from tests.pg import database_backends
from tests.ports import free_port

BROWSER_TESTS = Path(__file__).parent / "browser"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Which pytest-xdist process runs what (``--dist loadgroup``, scripts/run-tests.sh): a
    file's tests stay together (its module fixtures start once), and the browser tests all run
    in one process, in their files' order, on the one stack they share: one file's uploads are
    what the next one finds (the same certificate in several batches, a longer hit list)."""
    for item in items:
        group = "browser" if item.path.is_relative_to(BROWSER_TESTS) else str(item.path)
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway real redis-server on loopback (RQ's own tests use a real Redis too)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: run `make test`, which installs it")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("redis-server did not start")
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def redis_conn(redis_url: str):
    import redis

    conn = redis.Redis.from_url(redis_url)
    conn.flushdb()
    yield conn
    conn.flushdb()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per run, copied by each test (the migrations take
    ~0.4 s a test). The copy is what the migrations build from an empty database, which
    test_schema.py checks against the models."""
    path = tmp_path_factory.mktemp("schema") / "migrated.sqlite3"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def migrated_postgres() -> Iterator[str]:
    """The name of a PostgreSQL database migrated once per run, each test's template."""
    from tests.pg import migrated_template

    with migrated_template(os.environ["SOHOA_TEST_POSTGRES_URL"], migrate) as name:
        yield name


@pytest.fixture(params=database_backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated database of its own: SQLite always, PostgreSQL too when make test
    provides one. A copy of a database migrated once per run, which is what migrating an
    empty one gives (the schema is the migrations' output either way)."""
    if request.param == "sqlite":
        path = tmp_path / "sohoa.sqlite3"
        template = request.getfixturevalue("migrated_sqlite")
        with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(path)) as copy:
            source.backup(copy)  # the pages as SQLite wrote them, a WAL's included
        yield f"sqlite:///{path}"
        return
    from tests.pg import fresh_postgres_database

    template = request.getfixturevalue("migrated_postgres")
    with fresh_postgres_database(os.environ["SOHOA_TEST_POSTGRES_URL"], template=template) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str, redis_url: str) -> Settings:
    return Settings(
        _env_file=None,
        var_dir=tmp_path / "var",
        database_url=database_url,
        redis_url=redis_url,
        queue_name=f"test-{tmp_path.name}",
    )


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    """The ``Services`` of one process on ``settings`` (what the API, a worker or a CLI
    command builds once), closed afterwards."""
    with Services.build(settings) as built:
        yield built


@pytest.fixture
def session_factory(services: Services) -> sessionmaker[Session]:
    return services.sessions


@pytest.fixture
def worker_settings(settings: Settings, services: Services) -> Iterator[Settings]:
    """``services`` installed as this process's job context, as ``run_worker`` does, for jobs
    run in-process (``process_document`` or ``SimpleWorker``); cleared afterwards, with any
    context a test installed on other settings (``workers_support.install_jobs``)."""
    from tests.integration.workers_support import close_jobs
    from workers.jobs import context

    context.install(services)
    yield settings
    close_jobs()


@dataclass
class Keys:
    """One API key per role (plaintext), created on the test's database."""

    admin: str
    clerk: str
    officer: str
    portal: str

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {getattr(self, role)}"}


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient]:
    """The real app on the test's settings, served in-process (its lifespan runs)."""
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def keys(session_factory: sessionmaker[Session]) -> Keys:
    with session_scope(session_factory) as session:
        plain = {role: create_key(session, role=role, name=f"test {role}")[1] for role in ROLES}
    return Keys(**plain)


PASSWORD = "mật khẩu thử 2024"  # the password of every ``people`` user


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One Argon2 hash of ``PASSWORD`` for the whole run (each costs ~0.2 s on purpose)."""
    return hash_password(PASSWORD)


@dataclass
class People:
    """One user per user role (username ``test-<role>``, password ``PASSWORD``), each with
    a live session; ``auth(role)`` gives the headers a browser would send with it."""

    ids: dict[str, int]
    tokens: dict[str, str]

    def auth(self, role: str, *, csrf: bool = True) -> dict[str, str]:
        token = self.tokens[role]
        headers = {"Cookie": f"{SESSION_COOKIE}={token}"}
        if csrf:
            headers["X-CSRF-Token"] = csrf_token(token)
        return headers


@pytest.fixture
def people(session_factory: sessionmaker[Session], password_hash: str) -> People:
    ids, tokens = {}, {}
    with session_scope(session_factory) as session:
        for role in USER_ROLES:
            user = User(username=f"test-{role}", display_name=f"Test {role}", role=role,
                        password_hash=password_hash, must_change_password=False)
            session.add(user)
            session.flush()
            ids[role], tokens[role] = user.id, start_session(session, user, now=utcnow())[1]
    return People(ids=ids, tokens=tokens)
