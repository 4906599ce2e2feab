"""Failed sign-ins: slowed, then locked for a while, per username and per client address.

Each attempt first inserts a row and commits it (a reservation), then counts the rows of
the last ``lock`` minutes including concurrent ones, and withdraws when that is over the
limit: however many requests are sent at once, at most the limit of passwords are checked
per lock time, on SQLite and PostgreSQL alike, without row locks. A success deletes the username's rows;
a failure keeps its row, and the one that reaches a limit is flagged: that username or
address is locked until the flagged row is ``lock`` minutes old. Attempts refused while
locked are not counted, so hammering does not keep a person locked out for ever.

The username is the one typed (normalized), whether or not such a user exists: the answers
are the same for both, so the lock reveals nothing about which accounts exist.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from sohoa.core.config import Settings
from sohoa.core.errors import TooManyRequests
from sohoa.core.models import SignInFailure
from sohoa.core.vocab import ThrottleScope

MAX_DELAY_SECONDS = 8.0
IN_FLIGHT_WAIT = timedelta(seconds=10)  # what to wait when concurrent attempts hold the places


@dataclass(frozen=True)
class ThrottleRules:
    max_per_username: int
    max_per_address: int
    lock: timedelta
    delay_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> ThrottleRules:
        return cls(max_per_username=settings.signin_max_failures,
                   max_per_address=settings.signin_max_failures_per_address,
                   lock=timedelta(minutes=settings.signin_lock_minutes),
                   delay_seconds=settings.signin_failure_delay_seconds)

    def delay_after(self, failures: int) -> float:
        """Seconds to wait before answering the ``failures``-th failure in a row."""
        if failures < 1 or self.delay_seconds <= 0:
            return 0.0
        return min(self.delay_seconds * 2 ** (failures - 1), MAX_DELAY_SECONDS)


class AccountLocked(TooManyRequests):
    code = "account_locked"

    def __init__(self, until: datetime, now: datetime) -> None:
        seconds = max(1, math.ceil((until - now).total_seconds()))
        minutes = max(1, math.ceil(seconds / 60))
        super().__init__(f"too many failed sign-ins: try again in {minutes} minute(s), or ask an admin "
                         "to reset the password", detail={"retry_after": seconds, "until": until.isoformat()},
                         headers={"Retry-After": str(seconds)})


@dataclass(frozen=True)
class Failure:
    """A counted failure: how many the username has now, and what it locked."""

    username_failures: int
    locked: dict[ThrottleScope, datetime]  # scope -> locked until


def _columns(scope: ThrottleScope) -> tuple[Any, Any]:
    if scope == ThrottleScope.USERNAME:
        return SignInFailure.username, SignInFailure.locks_username
    return SignInFailure.address, SignInFailure.locks_address


def _locked_until(session: Session, rules: ThrottleRules, scope: ThrottleScope, subject: str,
                  now: datetime) -> datetime | None:
    column, flag = _columns(scope)
    newest = session.scalar(select(func.max(SignInFailure.at)).where(
        column == subject, flag.is_(True), SignInFailure.at > now - rules.lock))
    return newest + rules.lock if newest is not None else None


def _count(session: Session, rules: ThrottleRules, scope: ThrottleScope, subject: str, now: datetime) -> int:
    column, _ = _columns(scope)
    return session.scalar(select(func.count()).select_from(SignInFailure).where(
        column == subject, SignInFailure.at > now - rules.lock)) or 0


def _limits(rules: ThrottleRules, username: str, address: str) -> list[tuple[ThrottleScope, str, int]]:
    return [(ThrottleScope.USERNAME, username, rules.max_per_username),
            (ThrottleScope.ADDRESS, address, rules.max_per_address)]


def check_not_locked(session: Session, rules: ThrottleRules, username: str, address: str, now: datetime) -> None:
    """Raise ``AccountLocked`` (429, Retry-After) while the username or the address is locked."""
    until = [t for scope, subject, _ in _limits(rules, username, address)
             if (t := _locked_until(session, rules, scope, subject, now)) is not None]
    if until:
        raise AccountLocked(max(until), now)


def reserve(session: Session, rules: ThrottleRules, username: str, address: str, now: datetime) -> int:
    """Count this attempt before checking the password; commits. Returns the row's id; raises
    ``AccountLocked`` (and withdraws the row) when concurrent attempts already used the limit."""
    session.execute(delete(SignInFailure).where(SignInFailure.at <= now - rules.lock))
    row = SignInFailure(at=now, username=username, address=address)
    session.add(row)
    session.commit()
    for scope, subject, limit in _limits(rules, username, address):
        if _count(session, rules, scope, subject, now) > limit:
            # Other attempts in flight already use the limit: this one is not counted, and may
            # come back as soon as they are answered (they lock, or free their places).
            session.execute(delete(SignInFailure).where(SignInFailure.id == row.id))
            session.commit()
            raise AccountLocked(now + IN_FLIGHT_WAIT, now)
    return row.id


def succeeded(session: Session, username: str) -> None:
    """The right password: the username's failures are forgotten (the address's stay)."""
    clear(session, username)


def failed(session: Session, rules: ThrottleRules, row_id: int, username: str, address: str,
           now: datetime) -> Failure:
    """The wrong password: the reserved row stays, flagged when it reaches a limit."""
    locked: dict[ThrottleScope, datetime] = {}
    counts = {}
    for scope, subject, limit in _limits(rules, username, address):
        counts[scope] = _count(session, rules, scope, subject, now)
        if counts[scope] >= limit:
            _, flag = _columns(scope)
            session.execute(update(SignInFailure).where(SignInFailure.id == row_id).values({flag: True}))
            locked[scope] = now + rules.lock
    return Failure(username_failures=counts[ThrottleScope.USERNAME], locked=locked)


def clear(session: Session, username: str) -> None:
    session.execute(delete(SignInFailure).where(SignInFailure.username == username))
