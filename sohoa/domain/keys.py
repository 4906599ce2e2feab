"""API keys: random tokens shown once, stored as SHA-256 (they carry 190 bits of entropy,
so a slow password hash buys nothing), found by a short public prefix."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Connection, String, bindparam, select, update
from sqlalchemy.orm import Session

from sohoa.core.clock import utcnow
from sohoa.core.errors import BadRequest, Unauthorized
from sohoa.core.models import ApiKey
from sohoa.core.vocab import ROLES

KEY_PREFIX = "sohoa_"
LAST_USED_RESOLUTION = timedelta(minutes=1)  # last use is written at most this often per key
# Built once: every request with a key runs it, and building it cost more than running it.
_BY_PREFIX = select(ApiKey.id, ApiKey.name, ApiKey.role, ApiKey.agency, ApiKey.key_hash, ApiKey.revoked_at,
                    ApiKey.expires_at, ApiKey.last_used_at).where(ApiKey.prefix == bindparam("prefix", type_=String))


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_key(
    session: Session,
    *,
    role: str,
    name: str,
    agency: str | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the plaintext, which is never stored."""
    if role not in ROLES:
        raise BadRequest(f"unknown role {role!r}; expected one of {', '.join(ROLES)}", code="invalid_role")
    if not name.strip():
        raise BadRequest("a key needs a name", code="invalid_name")
    prefix = secrets.token_hex(4)
    plaintext = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(24)}"
    key = ApiKey(name=name.strip(), role=role, agency=agency, prefix=prefix,
                 key_hash=hash_key(plaintext), expires_at=expires_at)
    session.add(key)
    session.flush()
    return key, plaintext


class KeyFacts(NamedTuple):
    """What a request needs of its key, read as a row (no ORM object: the check runs on
    every request with a key)."""

    id: int
    name: str
    role: str
    agency: str | None
    expires_at: datetime | None
    last_used_at: datetime | None


def check_key(source: Session | Connection, plaintext: str, *, now: datetime | None = None) -> KeyFacts:
    """The active key matching ``plaintext``, without writing anything. Raises ``Unauthorized``."""
    now = now or utcnow()
    parts = plaintext.split("_")
    if len(parts) < 3 or not plaintext.startswith(KEY_PREFIX):
        raise Unauthorized("malformed API key", code="invalid_api_key")
    conn = source.connection() if isinstance(source, Session) else source
    row = conn.execute(_BY_PREFIX, {"prefix": parts[1]}).first()
    if row is None or not hmac.compare_digest(row.key_hash, hash_key(plaintext)):
        raise Unauthorized("unknown API key", code="invalid_api_key")
    if row.revoked_at is not None:
        raise Unauthorized("this API key was revoked", code="revoked_api_key")
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthorized("this API key has expired", code="expired_api_key")
    return KeyFacts(row.id, row.name, row.role, row.agency, row.expires_at, row.last_used_at)


def last_use_due(key: KeyFacts, now: datetime) -> bool:
    """Its last use is written to the minute: a portal's key answers many requests a second,
    and a write per request would serialize them (SQLite) and bloat the table (PostgreSQL)
    for a value shown in minutes."""
    return key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION


def record_use(session: Session, key: KeyFacts, now: datetime) -> None:
    """Write the key's last use (the caller commits)."""
    session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))


def authenticate(session: Session, plaintext: str, *, now: datetime | None = None) -> KeyFacts:
    """``check_key``, and its last use recorded when due (the caller commits). Raises ``Unauthorized``."""
    now = now or utcnow()
    key = check_key(session, plaintext, now=now)
    if last_use_due(key, now):
        record_use(session, key, now)
    return key


class KeyChecks:
    """The process's recent successful key checks, reused for ``seconds`` (``SOHOA_KEY_CHECK_CACHE_SECONDS``).

    A portal sends the same key many times a second and its check was a tenth of a lookup's
    CPU; reused, a revocation (or a shortened expiry) made by another process takes effect
    here within ``seconds``; in the process that made it at once (``forget``). The expiry
    itself is compared with the request's time on every use. Only keys found active are
    kept (a key created a moment ago is never refused from here), by their SHA-256, at
    most ``MAX_KEYS``. ``seconds`` 0: every request reads its key."""

    MAX_KEYS = 4096

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock  # monotonic: a step of the wall clock neither extends nor ends a check
        self._checked: dict[str, tuple[KeyFacts, float]] = {}
        self._lock = threading.Lock()  # the threadpool's checks and the event loop's share it

    def get(self, plaintext: str, now: datetime) -> KeyFacts | None:
        """The key checked less than ``seconds`` ago, still unexpired at ``now``; None: check it."""
        if self.seconds <= 0:
            return None
        hit = self._checked.get(hash_key(plaintext))
        if hit is None or self.clock() - hit[1] >= self.seconds:
            return None
        key = hit[0]
        if key.expires_at is not None and key.expires_at <= now:
            raise Unauthorized("this API key has expired", code="expired_api_key")
        return key

    def check(self, source: Session | Connection, plaintext: str, *, now: datetime) -> KeyFacts:
        """``check_key`` against the database, its success kept (a failure drops what was kept)."""
        digest = hash_key(plaintext)
        try:
            key = check_key(source, plaintext, now=now)
        except Unauthorized:
            with self._lock:
                self._checked.pop(digest, None)
            raise
        self.used(plaintext, key, checked=True)
        return key

    def used(self, plaintext: str, key: KeyFacts, *, checked: bool = False) -> None:
        """Keep ``key`` (its ``last_used_at`` as just written); the time of its check is kept
        unless it was checked just now."""
        if self.seconds <= 0:
            return
        digest = hash_key(plaintext)
        with self._lock:
            previous = self._checked.get(digest)
            at = self.clock() if checked or previous is None else previous[1]
            if digest not in self._checked and len(self._checked) >= self.MAX_KEYS:
                self._checked.clear()
            self._checked[digest] = (key, at)

    def forget(self, key_id: int) -> None:
        """Drop a key revoked or changed by this process: the change applies here at once."""
        with self._lock:
            for digest in [d for d, (key, _) in self._checked.items() if key.id == key_id]:
                del self._checked[digest]


def revoke_key(session: Session, key_id: int) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise BadRequest(f"no API key with id {key_id}", code="unknown_key")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key


def has_admin_key(session: Session) -> bool:
    return session.scalar(select(ApiKey.id).where(ApiKey.role == "admin").limit(1)) is not None
