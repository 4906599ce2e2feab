"""The accounts domain on SQLite and PostgreSQL: concurrent guesses are all counted, expiry
at the exact limits, the lock's end, and the rules of user changes."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from sohoa.core.clock import utcnow
from sohoa.core.db import session_scope
from sohoa.core.errors import Conflict, SohoaError, Unauthorized
from sohoa.core.models import User
from sohoa.domain.accounts import (
    AccountLocked,
    Client,
    InvalidCredentials,
    SessionRules,
    ThrottleRules,
    create_user,
    resolve,
    sign_in,
    update_user,
)
from sohoa.domain.accounts.sessions import start_session

RULES = ThrottleRules(max_per_username=3, max_per_address=100, lock=timedelta(minutes=15), delay_seconds=0)
SESSIONS = SessionRules(idle=timedelta(minutes=30), max_age=timedelta(hours=12))


def test_guesses_sent_at_once_check_no_more_passwords_than_the_limit(session_factory):
    """Ten wrong passwords at the same moment: at most the limit of them are checked, the
    others are turned away; the guesses left up to the limit may come later, then even the
    right password is refused until the lock ends. When all ten reservations are committed
    before any of them counts, every one sees ten and withdraws: none is checked (they may
    come back in ``IN_FLIGHT_WAIT``); the fresh-clone suite on PostgreSQL met that once."""
    with session_scope(session_factory) as session:
        _, password = create_user(session, username="lan", display_name="Lan", role="clerk")
    outcomes: list[str] = []
    start = threading.Barrier(10)

    def attempt(secret: str, n: int) -> None:
        with session_factory() as session:
            sign_in(session, "lan", secret, Client(f"192.0.2.{n}"), rules=RULES, session_rules=SESSIONS,
                    now=utcnow())

    def guess(n: int) -> None:
        start.wait()
        try:
            attempt(f"guess {n}", n)
        except SohoaError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    checked = outcomes.count("invalid_credentials")
    assert len(outcomes) == 10 and 0 <= checked <= RULES.max_per_username
    assert outcomes.count("account_locked") == 10 - checked
    for n in range(RULES.max_per_username - checked):
        with pytest.raises(InvalidCredentials):
            attempt(f"later guess {n}", 50 + n)
    with pytest.raises(AccountLocked) as locked:
        attempt(password, 99)
    assert locked.value.detail["retry_after"] > 14 * 60  # a real lock now, for the lock time


def test_a_lock_lasts_the_lock_time_from_the_failure_that_caused_it(session_factory):
    with session_scope(session_factory) as session:
        _, password = create_user(session, username="binh", display_name="Bình", role="clerk")
    t0 = utcnow()
    with session_factory() as session:
        for minute in range(3):  # three failures, a minute apart: the third locks
            with pytest.raises(InvalidCredentials):
                sign_in(session, "binh", "x", Client("a"), rules=RULES, session_rules=SESSIONS,
                        now=t0 + timedelta(minutes=minute))
        locked_at = t0 + timedelta(minutes=2)
        with pytest.raises(AccountLocked) as still:
            sign_in(session, "binh", password, Client("a"), rules=RULES, session_rules=SESSIONS,
                    now=locked_at + RULES.lock - timedelta(seconds=1))
        assert still.value.detail["retry_after"] == 1 and still.value.headers == {"Retry-After": "1"}
        signed = sign_in(session, "binh", password, Client("a"), rules=RULES, session_rules=SESSIONS,
                         now=locked_at + RULES.lock)
        assert signed.user.username == "binh"


def test_sessions_expire_exactly_at_their_limits(session_factory):
    t0 = utcnow()
    with session_scope(session_factory) as session:
        user = User(username="an", display_name="An", role="officer", password_hash="-", must_change_password=False)
        session.add(user)
        session.flush()
        row, token = start_session(session, user, now=t0)
    with session_factory() as session:
        assert resolve(session, token, SESSIONS, now=t0 + SESSIONS.idle - timedelta(seconds=1)).id == row.id
        session.commit()  # that use moved last_seen_at on
        with pytest.raises(Unauthorized) as idle:
            resolve(session, token, SESSIONS, now=t0 + 2 * SESSIONS.idle)
        assert (idle.value.code, idle.value.detail) == ("session_expired", {"reason": "idle"})
        step, now = SESSIONS.idle - timedelta(minutes=1), t0 + SESSIONS.idle - timedelta(seconds=1)
        while now + step < t0 + SESSIONS.max_age:  # used all day long, never idle
            now += step
            resolve(session, token, SESSIONS, now=now)
            session.commit()
        with pytest.raises(Unauthorized) as absolute:
            resolve(session, token, SESSIONS, now=t0 + SESSIONS.max_age)
        assert absolute.value.detail == {"reason": "absolute"}
        with pytest.raises(Unauthorized) as unknown:
            resolve(session, token + "x", SESSIONS, now=t0)
        assert unknown.value.code == "invalid_session"


def test_the_last_admin_guard_counts_active_admins_without_an_agency(session_factory):
    with session_scope(session_factory) as session:
        first, _ = create_user(session, username="root", display_name="Root", role="admin")
        scoped, _ = create_user(session, username="boss-a", display_name="Boss", role="admin", agency="UBND-A")
        disabled, _ = create_user(session, username="old", display_name="Old", role="admin")
        update_user(session, disabled, {"disabled": True})
        for change in ({"disabled": True}, {"role": "officer"}, {"agency": "UBND-A"}):
            with pytest.raises(Conflict) as refused:
                update_user(session, first, change)
            assert refused.value.code == "last_admin"
        assert update_user(session, first, {"display_name": "Quản trị", "role": "admin"}) == {
            "display_name": "Quản trị"}  # changing nothing that matters is fine
        assert update_user(session, scoped, {"agency": None}) == {"agency": None}
        assert update_user(session, first, {"role": "officer"}) == {"role": "officer"}
