"""Fixtures for API tests: the real app on the ``settings`` fixture's database, and keys.

Import them into a test module with ``from tests.apiclient import api, keys``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from api import create_app
from sohoa.core.db import session_scope
from sohoa.domain.keys import create_key


@dataclass
class Keys:
    admin: str
    clerk: str
    officer: str
    portal: str

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {getattr(self, role)}"}


@pytest.fixture
def api(settings) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def keys(session_factory) -> Keys:  # type: ignore[no-untyped-def]
    plain = {}
    with session_scope(session_factory) as session:
        for role in ("admin", "clerk", "officer", "portal"):
            plain[role] = create_key(session, role=role, name=f"test {role}")[1]
    return Keys(**plain)
