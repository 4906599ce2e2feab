"""People signing in over HTTP: the cookie, sign-out, expiry, disabled accounts, lockout,
CSRF, and the password change that a one-time password requires first."""

from __future__ import annotations

import asyncio
import hashlib
import time
import unicodedata
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api import create_app
from api.routes import session as session_routes
from sohoa.core.clock import utcnow
from sohoa.core.config import Settings
from sohoa.core.db import session_scope
from sohoa.core.models import Batch, SignInFailure, User, UserSession
from sohoa.domain.accounts import SESSION_COOKIE, create_user, csrf_token
from tests import filegen
from tests.conftest import PASSWORD
from tests.integration.accounts_support import (
    age_failures,
    age_sessions,
    count,
    events,
    quick_lockout,
    session_headers,
    sign_in,
    signed_in_headers,
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return quick_lockout(settings)


def test_sign_in_sets_a_strict_http_only_cookie_and_returns_the_csrf_token(api, people, session_factory):
    response = sign_in(api, "  TEST-Clerk ", PASSWORD)
    assert response.status_code == 201, response.text
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "httponly" in cookie and "samesite=strict" in cookie
    assert "path=/" in cookie and "secure" not in cookie and "max-age" not in cookie  # plain http; browser session
    token = response.cookies[SESSION_COOKIE]
    body = response.json()
    assert body["csrf_token"] == csrf_token(token)
    assert body["user"] == {"id": people.ids["clerk"], "username": "test-clerk", "display_name": "Test clerk",
                            "role": "clerk", "agency": None, "must_change_password": False}
    assert "argon2" not in response.text and PASSWORD not in response.text
    with session_factory() as session:
        row = session.scalars(select(UserSession).order_by(UserSession.id.desc()).limit(1)).one()
        user = session.get(User, people.ids["clerk"])
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in row.token_hash
    assert row.client_address == "testclient" and user.last_sign_in_at is not None
    assert [(e.user_id, e.key_id, e.role) for e in events(session_factory, "session.sign_in")] == [
        (people.ids["clerk"], None, "clerk")]

    current = api.get("/api/v1/session", headers=session_headers(token, csrf=False))
    assert current.status_code == 200 and current.json()["csrf_token"] == body["csrf_token"]
    # The session carries the person's role: a clerk may not search.
    assert api.get("/api/v1/search?q=x", headers=session_headers(token)).json()["error"]["code"] == "forbidden"


def test_the_cookie_is_secure_over_https_and_when_forced(api, people, settings):
    https = TestClient(api.app, base_url="https://testserver")
    assert "secure" in sign_in(https, "test-clerk", PASSWORD).headers["set-cookie"].lower()
    forced = settings.model_copy(update={"cookie_secure": "always"})
    with TestClient(create_app(forced)) as client:
        assert "secure" in sign_in(client, "test-clerk", PASSWORD).headers["set-cookie"].lower()


def test_usernames_match_whatever_the_case_and_the_keyboard(api, session_factory):
    with session_scope(session_factory) as session:
        user, password = create_user(session, username="Hoà.Thảo", display_name="Lê Thị Hoà Thảo", role="clerk")
        assert user.username == "hòa.thảo"  # NFC, one tone placement, lower case
    for typed in ("HÒA.THẢO", unicodedata.normalize("NFD", "hoà.thảo")):
        response = sign_in(api, typed, password)
        assert response.status_code == 201, typed
        assert response.json()["user"]["must_change_password"] is True


def test_an_unknown_user_and_a_wrong_password_get_the_same_answer(api, people, session_factory):
    wrong, unknown = sign_in(api, "test-clerk", "not the password"), sign_in(api, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"error": {"code": "invalid_credentials",
                                                        "message": "wrong username or password", "detail": None}}
    assert "set-cookie" not in wrong.headers and "set-cookie" not in unknown.headers
    failed = events(session_factory, "session.sign_in_failed")
    assert [(e.user_id, (e.detail or {})["username"], (e.detail or {})["failures"]) for e in failed] == [
        (people.ids["clerk"], "test-clerk", 1), (None, "nobody", 1)]
    assert all("not the password" not in str(e.detail) for e in failed)


def test_sign_out_ends_the_session_and_clears_the_cookie(api, people, session_factory):
    headers = people.auth("clerk")
    response = api.delete("/api/v1/session", headers=headers)
    assert response.status_code == 204
    cleared = response.headers["set-cookie"].lower()
    assert cleared.startswith(f'{SESSION_COOKIE}=""') and "max-age=0" in cleared
    again = api.get("/api/v1/session", headers=headers)
    assert (again.status_code, again.json()["error"]["code"]) == (401, "invalid_session")
    assert api.delete("/api/v1/session", headers=headers).status_code == 204  # twice is fine
    assert api.delete("/api/v1/session").status_code == 204  # and with no session at all
    assert [e.user_id for e in events(session_factory, "session.sign_out")] == [people.ids["clerk"]]
    with session_factory() as session:
        assert session.scalars(select(UserSession.ended_reason).where(
            UserSession.user_id == people.ids["clerk"])).all() == ["signed_out"]
    assert api.get("/api/v1/session", headers=people.auth("officer")).status_code == 200  # others go on


def test_idle_and_absolute_expiry(api, people, session_factory, settings):
    idle = timedelta(minutes=settings.session_idle_minutes)
    age_sessions(session_factory, people.ids["clerk"], seen=idle - timedelta(minutes=1))
    before = utcnow()
    assert api.get("/api/v1/session", headers=people.auth("clerk")).status_code == 200
    with session_factory() as session:  # that use was recorded, so the idle time starts again
        seen = session.scalar(select(UserSession.last_seen_at).where(UserSession.user_id == people.ids["clerk"]))
    assert seen is not None and seen >= before - timedelta(seconds=1)
    age_sessions(session_factory, people.ids["clerk"], seen=idle + timedelta(seconds=1))
    response = api.get("/api/v1/session", headers=people.auth("clerk"))
    assert response.status_code == 401 and response.json()["error"] == {
        "code": "session_expired", "message": "your session has expired; sign in again", "detail": {"reason": "idle"}}

    used_all_day = timedelta(hours=settings.session_max_hours, seconds=1)
    age_sessions(session_factory, people.ids["officer"], seen=timedelta(0), created=used_all_day)
    response = api.get("/api/v1/search?q=x", headers=people.auth("officer"))
    assert response.status_code == 401 and response.json()["error"]["detail"] == {"reason": "absolute"}


def test_a_disabled_account_cannot_sign_in_and_its_sessions_end(api, people, session_factory):
    clerk = people.ids["clerk"]
    response = api.patch(f"/api/v1/users/{clerk}", json={"disabled": True}, headers=people.auth("admin"))
    assert response.status_code == 200 and response.json()["disabled"] is True
    live = api.get("/api/v1/session", headers=people.auth("clerk"))
    assert (live.status_code, live.json()["error"]["code"]) == (401, "invalid_session")
    refused = sign_in(api, "test-clerk", PASSWORD)  # only the right password learns it is disabled
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "account_disabled")
    assert sign_in(api, "test-clerk", "wrong").json()["error"]["code"] == "invalid_credentials"
    assert api.patch(f"/api/v1/users/{clerk}", json={"disabled": False}, headers=people.auth("admin")).is_success
    assert sign_in(api, "test-clerk", PASSWORD).status_code == 201
    refusals = events(session_factory, "session.sign_in_refused")
    assert [(e.detail or {})["reason"] for e in refusals] == ["account_disabled"]


def test_repeated_failures_lock_the_username_for_a_while(api, people, session_factory, settings):
    for n, username in enumerate(("test-clerk", "ghost")):  # a name nobody has is locked the same way
        here = TestClient(api.app, client=(f"198.51.100.{n}", 1000))
        for _ in range(settings.signin_max_failures):
            assert sign_in(here, username, "guess").json()["error"]["code"] == "invalid_credentials"
        locked = sign_in(here, username, PASSWORD)  # even the right password, now
        assert locked.status_code == 429, locked.text
        error = locked.json()["error"]
        assert error["code"] == "account_locked" and "try again in 15 minute(s)" in error["message"]
        assert 0 < error["detail"]["retry_after"] <= 15 * 60
        assert locked.headers["retry-after"] == str(error["detail"]["retry_after"])
    assert sign_in(here, "test-officer", PASSWORD).status_code == 201  # other people go on
    locks = events(session_factory, "session.locked")
    assert [(e.user_id, (e.detail or {})["scope"], (e.detail or {})["username"]) for e in locks] == [
        (people.ids["clerk"], "username", "test-clerk"), (None, "username", "ghost")]

    age_failures(session_factory, timedelta(minutes=settings.signin_lock_minutes))
    assert sign_in(here, "test-clerk", PASSWORD).status_code == 201  # the lock is over
    with session_factory() as session:  # and the right password forgets the failures
        assert not session.scalars(select(SignInFailure).where(SignInFailure.username == "test-clerk")).all()


def test_repeated_failures_lock_the_client_address(api, people, session_factory, settings):
    attacker, office = (TestClient(api.app, client=(a, 1000)) for a in ("203.0.113.5", "203.0.113.6"))
    for n in range(settings.signin_max_failures_per_address):  # many names, each under its own limit
        assert sign_in(attacker, f"name{n}", "guess").status_code == 401
    refused = sign_in(attacker, "test-officer", PASSWORD)
    assert (refused.status_code, refused.json()["error"]["code"]) == (429, "account_locked")
    assert sign_in(office, "test-officer", PASSWORD).status_code == 201
    [lock] = events(session_factory, "session.locked")
    assert ((lock.detail or {})["scope"], (lock.detail or {})["address"]) == ("address", "203.0.113.5")


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The waits the session routes make before answering, as they make them (each still
    really waited)."""
    made: list[float] = []
    real_sleep = asyncio.sleep

    async def observed_sleep(seconds: float) -> None:
        made.append(seconds)
        await real_sleep(seconds)

    monkeypatch.setattr(session_routes, "asyncio", SimpleNamespace(sleep=observed_sleep))
    return made


def test_failed_sign_ins_are_slowed(api, people, settings, waits):
    """Each failure in a row is answered after the delay the throttle sets for it (the
    setting, then twice that), a success at once. The waits are observed where the route
    makes them, not inferred from how long a request took: on a loaded machine every answer
    is slower, so a wall-clock bound on the success failed there. The clock still shows
    each wait really happened (a lower bound, which load cannot break)."""
    slow = settings.model_copy(update={"signin_failure_delay_seconds": 0.25})
    with TestClient(create_app(slow), raise_server_exceptions=False) as client:
        for wanted in (0.25, 0.5):
            started = time.monotonic()
            assert sign_in(client, "test-clerk", "guess").status_code == 401
            assert time.monotonic() - started >= wanted
        assert waits == [0.25, 0.5]
        assert sign_in(client, "test-clerk", PASSWORD).status_code == 201
    assert waits == [0.25, 0.5]  # the success waited for nothing


def test_wrong_current_passwords_are_slowed_then_locked(api, people, settings, session_factory, waits):
    """A password change is a password guess too: each wrong current password in a row is
    answered after the throttle's delay (as a failed sign-in is), and the one that reaches the
    limit locks the username: 429 ``account_locked`` with Retry-After, even for the right
    current password, and for signing in. The refusals while locked wait for nothing."""
    slow = settings.model_copy(update={"signin_failure_delay_seconds": 0.1})
    headers = people.auth("clerk")

    def change(client: TestClient, current: str) -> Any:
        return client.put("/api/v1/session/password", headers=headers,
                          json={"current_password": current, "new_password": "a good new password"})

    with TestClient(create_app(slow), raise_server_exceptions=False) as client:
        for wanted in (0.1, 0.2, 0.4):  # signin_max_failures is 3 here
            started = time.monotonic()
            refused = change(client, "a guess at it")
            assert (refused.status_code, refused.json()["error"]["code"]) == (400, "wrong_current_password")
            assert time.monotonic() - started >= wanted
        assert waits == [0.1, 0.2, 0.4]
        locked = change(client, PASSWORD)
        assert (locked.status_code, locked.json()["error"]["code"]) == (429, "account_locked"), locked.text
        retry_after = locked.json()["error"]["detail"]["retry_after"]
        assert 0 < retry_after <= 15 * 60 and locked.headers["retry-after"] == str(retry_after)
        assert sign_in(client, "test-clerk", PASSWORD).status_code == 429  # one count per username
        assert client.get("/api/v1/session", headers=headers).status_code == 200  # the session goes on
    assert waits == [0.1, 0.2, 0.4]
    assert [(e.detail or {})["failures"] for e in events(session_factory, "session.password_change_failed")] == [
        1, 2, 3]
    [lock] = events(session_factory, "session.locked")
    assert (lock.user_id, (lock.detail or {})["scope"]) == (people.ids["clerk"], "username")

    age_failures(session_factory, timedelta(minutes=settings.signin_lock_minutes))
    assert change(api, PASSWORD).status_code == 200  # the lock is over; the password was never changed
    assert sign_in(api, "test-clerk", "a good new password").status_code == 201


def test_csrf_guards_every_change_made_with_a_session(api, people, keys, session_factory):
    upload = {"files": [("files", ("a.png", filegen.png("a")))]}
    clerk = people.tokens["clerk"]
    for headers in (session_headers(clerk, csrf=False),
                    {**session_headers(clerk, csrf=False), "X-CSRF-Token": csrf_token(people.tokens["officer"])},
                    {**session_headers(clerk, csrf=False), "Authorization": "Bearer "}):  # an empty key is no key
        response = api.post("/api/v1/batches", headers=headers, **upload)
        assert (response.status_code, response.json()["error"]["code"]) == (403, "csrf_failed")
    assert count(session_factory, Batch) == 0
    assert api.get("/api/v1/session", headers=session_headers(clerk, csrf=False)).status_code == 200  # reads
    made = api.post("/api/v1/batches", headers=session_headers(clerk), **upload)
    assert made.status_code == 202
    # An API key needs no token, and wins over a cookie sent with it.
    by_key = api.post("/api/v1/batches", headers={**keys.auth("clerk"), **session_headers(clerk, csrf=False)},
                      files=[("files", ("b.png", filegen.png("b")))])
    assert by_key.status_code == 202
    with session_factory() as session:
        batches = session.scalars(select(Batch))
        creators = {b.id: (b.created_by_user_id, b.created_by_key_id is not None) for b in batches}
    assert creators == {made.json()["batch_id"]: (people.ids["clerk"], False), by_key.json()["batch_id"]: (None, True)}
    assert api.get("/api/v1/keys", headers={**keys.auth("clerk"), **people.auth("admin")}).status_code == 403


def test_signing_in_needs_no_token_but_a_json_body(api, people):
    stale = {"Cookie": f"{SESSION_COOKIE}=an-ended-session"}
    response = api.post("/api/v1/session", json={"username": "test-clerk", "password": PASSWORD}, headers=stale)
    assert response.status_code == 201
    # A cross-site form cannot send JSON: the same body as text/plain signs nobody in.
    form = api.post("/api/v1/session", content=f'{{"username": "test-clerk", "password": "{PASSWORD}"}}',
                    headers={"Content-Type": "text/plain"})
    assert form.status_code == 422 and "set-cookie" not in form.headers


def test_a_one_time_password_must_be_changed_before_anything_else(api, people, session_factory):
    created = api.post("/api/v1/users", json={"username": "Lan.Nguyen", "display_name": "Nguyễn Thị Lan",
                                              "role": "clerk"}, headers=people.auth("admin"))
    assert created.status_code == 201, created.text
    one_time = created.json()["password"]
    assert created.json()["user"]["username"] == "lan.nguyen" and created.json()["user"]["must_change_password"]
    first = sign_in(api, "lan.nguyen", one_time)
    assert first.json()["user"]["must_change_password"] is True
    headers, other = signed_in_headers(first), signed_in_headers(sign_in(api, "lan.nguyen", one_time))
    blocked = api.post("/api/v1/batches", headers=headers, files=[("files", ("a.png", filegen.png("a")))])
    assert (blocked.status_code, blocked.json()["error"]["code"]) == (403, "password_change_required")

    def change(current: str, new: str, with_headers: dict[str, str] = headers):
        return api.put("/api/v1/session/password", json={"current_password": current, "new_password": new},
                       headers=with_headers)

    refusals = [(change(one_time, "short"), "password_too_short"),
                (change(one_time, "i am LAN.NGUYEN ok"), "password_contains_username"),
                (change(one_time, one_time), "password_unchanged"),
                (change("not it at all", "a good new password"), "wrong_current_password")]
    assert [(r.status_code, r.json()["error"]["code"]) for r, _ in refusals] == [(400, c) for _, c in refusals]
    assert refusals[0][0].json()["error"]["detail"] == {"min_length": 10}
    no_token = change(one_time, "a good new password", {"Cookie": headers["Cookie"]})
    assert no_token.json()["error"]["code"] == "csrf_failed"

    changed = change(one_time, "a good new password")
    assert changed.status_code == 200 and changed.json()["user"]["must_change_password"] is False
    assert api.get("/api/v1/session", headers=other).json()["error"]["code"] == "invalid_session"
    assert api.post("/api/v1/batches", headers=headers, files=[("files", ("a.png", filegen.png("a")))]).is_success
    assert sign_in(api, "lan.nguyen", one_time).status_code == 401
    assert sign_in(api, "lan.nguyen", "a good new password").status_code == 201
    [event] = events(session_factory, "session.password_change")
    assert event.user_id == created.json()["user"]["id"]
